using System.Net;
using Exchange.Core.Commands;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Publishing;
using Exchange.Gateway.Routing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Exchange.Gateway.Hosting;

/// <summary>
/// A cluster node's read-only ports, for the node's whole life whether it leads or follows (docs/cluster.md): the
/// market-data order log and the drop copy (docs/protocol.md sections 12 and 13), served from the node's own streams
/// (<see cref="ClusterStreams"/>), which its state machine writes from the committed log. Nothing here reaches the
/// exchange: a follower takes no orders, and the snapshot port (a book query through the pipeline) is the leader's.
/// A connection stays up across the node's leadership changes: the streams it reads are the same.
/// </summary>
internal sealed class StreamServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GatewayContext _context;
    private ListenOptions? _marketData;
    private ListenOptions? _dropCopy;

    private StreamServer(GatewayConfig config, GatewayStreams streams, ILoggerFactory logging, Action<ILoggingBuilder>? configureLogging)
    {
        var store = streams.Store;
        _context = new GatewayContext(config.Limits, () => store.SessionId, streams.Users, streams.Streams, streams.Router,
            new CommandSubmitter(new PendingTable(2), new NoExchange()), streams.MarketData, streams.DropCopyReaders,
            logging.CreateLogger("Exchange.Gateway.Sessions"), new Metrics.GatewayRejects());
        _app = KestrelPorts.Build(config, configureLogging, _context, k =>
        {
            _marketData = KestrelPorts.Listen<MarketData.MarketDataConnectionHandler>(k, config, config.MarketDataListenPort);
            _dropCopy = KestrelPorts.Listen<MarketData.DropCopyConnectionHandler>(k, config, config.DropCopyListenPort);
        });
    }

    /// <summary>The bound market-data port; −1 when off.</summary>
    public int MarketDataPort { get; private set; } = -1;

    /// <summary>The bound drop-copy port; −1 when off.</summary>
    public int DropCopyPort { get; private set; } = -1;

    /// <summary>Null when both ports are off.</summary>
    public static async Task<StreamServer?> StartAsync(GatewayConfig config, GatewayStreams streams, ILoggerFactory logging,
        Action<ILoggingBuilder>? configureLogging, CancellationToken cancel)
    {
        if (config.MarketDataListenPort < 0 && config.DropCopyListenPort < 0) return null;
        var server = new StreamServer(config, streams, logging, configureLogging);
        await server._app.StartAsync(cancel).ConfigureAwait(false);
        server.MarketDataPort = KestrelPorts.BoundPort(server._marketData, config.MarketDataListenPort);
        server.DropCopyPort = KestrelPorts.BoundPort(server._dropCopy, config.DropCopyListenPort);
        return server;
    }

    /// <summary>End of Session to every connection (after what is queued for it), then the ports close.</summary>
    public async ValueTask DisposeAsync()
    {
        _context.Stopping = true;
        await _context.Registry.EndAllAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _context.Registry.Dispose();
    }

    // Read-only sessions never submit; should one try, the answer is "busy".
    private sealed class NoExchange : ICommandPublisher
    {
        public void Start()
        {
        }

        public bool TryPublish(in Command command, long correlation, bool reserve, out long sequence)
        {
            sequence = 0;
            return false;
        }

        public void Dispose()
        {
        }
    }
}
