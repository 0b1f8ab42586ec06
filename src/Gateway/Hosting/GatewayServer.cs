using System.Net;
using Exchange.Cluster;
using Exchange.Core.Journal;
using Exchange.Core.Pipeline;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Metrics;
using Exchange.Gateway.Publishing;
using Exchange.Gateway.Routing;
using Exchange.Gateway.Security;
using Exchange.Gateway.Sessions;
using Exchange.Gateway.Streams;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using CoreExchange = Exchange.Core.Exchange;

namespace Exchange.Gateway.Hosting;

/// <summary>
/// The exchange behind its TCP gateway: the core and its publisher, the router on the output side (it translates the
/// events and never reads the core), the users and their streams, and Kestrel listening with <see cref="GatewayConnectionHandler"/> (raw TCP, no HTTP).
/// </summary>
public sealed class GatewayServer : IAsyncDisposable
{
    private readonly GatewayConfig _config;
    private readonly ILoggerFactory _logging;
    private readonly Action<ILoggingBuilder>? _configureLogging;
    private readonly CoreExchange _exchange;
    private readonly ICommandPublisher _publisher;
    private readonly OutboundRouter _router;
    private readonly GatewayContext _context;
    private readonly ExchangeMeter? _meter;
    private readonly TimedJournal? _journal;
    private readonly MetricsEndpoint? _metricsEndpoint;
    private readonly StreamStore _streams;
    // False when the streams are a cluster node's (ClusterStreams), which outlive this server.
    private readonly bool _ownsStreams;
    // A cluster leader's order-entry port is the node's (OrderEntryPort, bound for the node's life), not this server's.
    private readonly bool _ownsOrderPort;
    private WebApplication? _app;
    private ListenOptions? _listen;
    private ListenOptions? _listenMarketData;
    private ListenOptions? _listenSnapshot;
    private ListenOptions? _listenDropCopy;
    private ListenOptions? _listenMetrics;
    private bool _stopped;

    /// <summary>How many commands a test server's in-memory journal holds (about 5 MB); past it the pipeline stops.</summary>
    internal const int InProcessJournalCommands = 1 << 16;

    /// <param name="config">A validated configuration (it is validated again).</param>
    /// <param name="logging">Where the gateway's own messages go (none by default).</param>
    /// <param name="configureLogging">Logging providers for the host (Kestrel); none by default.</param>
    public GatewayServer(GatewayConfig config, ILoggerFactory? logging = null, Action<ILoggingBuilder>? configureLogging = null)
        : this(config, logging, configureLogging, inProcess: false)
    {
    }

    /// <param name="inProcess">Journal in memory (<see cref="MemoryJournal"/>, nothing recovered or kept): tests only.</param>
    /// <param name="term">A cluster leader's term (docs/cluster.md): its exchange, and its Raft journal instead of files;
    /// the cluster's log and snapshots replace recovery and the pipeline's snapshots.</param>
    /// <param name="embedded">No journal at all, and <paramref name="inProcess"/>: the socket-free session benchmark
    /// (<see cref="Embedded"/>).</param>
    /// <param name="wrapOutput">Wraps the output handler (the benchmark's mirror puts a probe there).</param>
    /// <param name="nodeStreams">A cluster node's streams (with <paramref name="term"/>): the leader's pipeline writes
    /// them, continuing the cluster's session; the node keeps them after this server stops.</param>
    internal GatewayServer(GatewayConfig config, ILoggerFactory? logging, Action<ILoggingBuilder>? configureLogging, bool inProcess,
        Leadership? term = null, bool embedded = false, Func<IOutputHandler, IOutputHandler>? wrapOutput = null,
        GatewayStreams? nodeStreams = null)
    {
        config.Validate();
        _config = config;
        _logging = logging ?? NullLoggerFactory.Instance;
        _configureLogging = configureLogging;
        var options = config.Pipeline.ToOptions(config.Journal);
        if (term is not null)
            // A leader's commit waits for the other nodes: never on a connection's thread.
            options = options with { Journal = null, JournalInstance = term.Journal, SnapshotDirectory = null, SnapshotEveryCommands = 0, InlineRuns = false };
        else if (embedded)
            options = options with { Journal = null, JournalInstance = null, SnapshotDirectory = null, SnapshotEveryCommands = 0 };
        else if (inProcess)
            options = options with { Journal = null, JournalInstance = new MemoryJournal(InProcessJournalCommands) };
        // Refuse at once if another server holds the journal (its writer takes the lock for good when the pipeline opens).
        if (!inProcess && options.Journal is not null)
            using (DirectoryLock.Acquire(options.Journal.Directory)) { }
        if (nodeStreams is not null && term is null)
            throw new ArgumentException("A cluster node's streams are written by a leader's term only.", nameof(nodeStreams));
        _ownsStreams = nodeStreams is null;
        _ownsOrderPort = term is null;
        // The streams live beside the journal (a cluster node's in its data directory, ClusterStreams; a test's
        // in-memory server keeps them in memory).
        _streams = nodeStreams?.Store ?? new StreamStore(inProcess || term is not null ? null : config.Journal, config.Streams.ToWindow(), config.Session,
            config.Pipeline.Fsync == "never" ? 0 : config.Pipeline.FsyncIntervalMs, DateTime.UtcNow, config.Pipeline.FsyncIntervalMs);
        // Nothing of a constructor that throws is disposed by its caller: close the stream files (and their timer) here.
        try
        {
            var set = nodeStreams ?? new GatewayStreams(config, _streams);
            var users = set.Users;
            var streams = set.Streams;
            var pending = set.Pending;
            _router = set.Router;
            var marketData = set.MarketData;
            var dropCopyReaders = set.DropCopyReaders;
            _exchange = term?.Exchange
                ?? (inProcess ? BuildExchange(config) : RecoverAndRederive(config, options, set.Senders, set.Logs));
            if (_streams.Persistent && _ownsStreams)
            {
                // Every message of every command so far is written now: the mark starts here, and the snapshots and journal
                // that a restart needs to re-derive from the mark are kept (PipelineOptions.RetentionFloor).
                _router.WrittenThrough = _exchange.LastSequence;
                _streams.Mark(_exchange.LastSequence);
                _streams.WrittenThrough = () => _router.WrittenThrough;
                options = options with { RetentionFloor = _streams.MarkNow };
            }
            // The metrics read the events on their way out, after the router: never the core, past this seeding.
            var metered = config.Metrics.Enabled
                ? new MeteredOutput(_router, pending, SeedHealth(_exchange), new SampleRing(config.Metrics.SampleBuffer))
                : null;
            // With metrics, the server opens the journal itself to time its commits (the pipeline then does not own it).
            if (metered is not null && !inProcess && options.Journal is not null)
            {
                _journal = new TimedJournal(new JournalWriter(options.Journal), config.Metrics.SampleBuffer);
                options = options with { Journal = null, JournalInstance = _journal, RetainedJournal = options.Journal };
            }
            IOutputHandler output = metered is null ? _router : metered;
            if (wrapOutput is not null) output = wrapOutput(output);
            _publisher = new PipelinePublisher(_exchange, options, output);
            SessionId = _streams.SessionId;
            var rejects = new GatewayRejects();
            var store = _streams;
            _context = new GatewayContext(config.Limits, () => store.SessionId, users, streams, _router, new CommandSubmitter(pending, _publisher, rejects),
                marketData, dropCopyReaders, _logging.CreateLogger("Exchange.Gateway.Sessions"), rejects);
            if (metered is not null)
            {
                var registry = _context.Registry;
                _meter = new ExchangeMeter(metered, config.Instruments.ConvertAll(i => i.Name), () => registry.Count,
                    (_publisher as PipelinePublisher)?.Pipeline, config.Pipeline.RingSize, _journal, rejects);
                _metricsEndpoint = new MetricsEndpoint(_meter.Meter);
            }
        }
        catch
        {
            if (_ownsStreams) _streams.Dispose();
            throw;
        }
    }

    /// <summary>The SoupBinTCP session id: the same across restarts on one journal directory (docs/protocol.md section 8).</summary>
    public string SessionId { get; }

    /// <summary>The bound port (the configured one, or the one the OS chose for port 0), once started.</summary>
    public int Port { get; private set; }

    public IPEndPoint EndPoint => new(IPAddress.Parse(_config.Address), Port);

    /// <summary>The bound market-data port (docs/protocol.md section 12), once started; −1 when disabled.</summary>
    public int MarketDataPort { get; private set; } = -1;

    /// <summary>The bound snapshot port (docs/protocol.md section 12), once started; −1 when disabled.</summary>
    public int SnapshotPort { get; private set; } = -1;

    /// <summary>The bound drop-copy port (docs/protocol.md section 13), once started; −1 when disabled.</summary>
    public int DropCopyPort { get; private set; } = -1;

    /// <summary>The bound metrics HTTP port (docs/operations.md), once started; −1 when metrics are off.</summary>
    public int MetricsPort { get; private set; } = -1;

    /// <summary>Where Prometheus scrapes this server, once started; null when metrics are off.</summary>
    public string? MetricsUrl => MetricsPort < 0 ? null : $"http://{new IPEndPoint(IPAddress.Parse(_config.Address), MetricsPort)}{MetricsEndpoint.Path}";

    /// <summary>The server's instruments (meter "Exchange"); null when metrics are off.</summary>
    internal ExchangeMeter? Meter => _meter;

    /// <summary>
    /// The core. Owned by the exchange's thread while the server runs: read it only after <see cref="StopAsync"/>.
    /// </summary>
    public CoreExchange Exchange => _exchange;

    /// <summary>Why the exchange pipeline stopped, if one of its stages failed.</summary>
    public Exception? Fault => (_publisher as PipelinePublisher)?.Fault;

    /// <summary>Whether no thread of the pipeline runs (after <see cref="StopAsync"/>): the exchange is free.</summary>
    internal bool PipelineStopped => _publisher is not PipelinePublisher publisher || publisher.Pipeline.HasStopped;

    /// <summary>Connections currently open.</summary>
    public int Connections => _context.Registry.Count;

    internal GatewayContext Context => _context;

    /// <summary>
    /// A server without listeners or journal, whose connections the caller brings (<see cref="RunConnectionAsync"/>, e.g.
    /// over in-memory pipes): the session benchmark's gateway, the same sessions, submitter, pipeline and router as
    /// <c>exchange serve</c> runs, without the sockets. Start it with <see cref="StartEmbedded"/>.
    /// </summary>
    internal static GatewayServer Embedded(GatewayConfig config, Func<IOutputHandler, IOutputHandler>? wrapOutput = null) =>
        new(config, null, null, inProcess: true, embedded: true, wrapOutput: wrapOutput);

    /// <summary>Starts the exchange pipeline only (an <see cref="Embedded"/> server has no listener).</summary>
    internal void StartEmbedded() => _publisher.Start();

    /// <summary>Runs one connection's session to its end, as a listener would (admission, then the session).</summary>
    internal Task RunConnectionAsync(ConnectionContext connection, SessionKind kind = SessionKind.OrderEntry) =>
        GatewayConnectionHandler.RunAsync(_context, connection, kind);

    public async Task StartAsync(CancellationToken cancel = default)
    {
        StartPipeline();
        await StartListenersAsync(cancel).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts the exchange pipeline: from here <see cref="RunConnectionAsync"/> serves sessions. A cluster leader hands
    /// its node's order-entry connections over from this point (<see cref="OrderEntryPort"/>), before its other ports.
    /// </summary>
    internal void StartPipeline()
    {
        _publisher.Start();
        Diagnostics.StageLatency.Start();
        Diagnostics.GcReport.Start();
        Diagnostics.AllocationReport.Start();
    }

    /// <summary>Binds the server's ports (a cluster leader's: snapshot and metrics only; no Kestrel when both are off).</summary>
    internal async Task StartListenersAsync(CancellationToken cancel = default)
    {
        if (!_ownsOrderPort)
        {
            Port = _config.Port;
            if (_config.MarketDataListenPort < 0 && _config.SnapshotListenPort < 0 && _config.DropCopyListenPort < 0 && _metricsEndpoint is null)
                return;
        }
        _app = KestrelPorts.Build(_config, _configureLogging, _context, k =>
        {
            _listen = KestrelPorts.Listen<GatewayConnectionHandler>(k, _config, _ownsOrderPort ? _config.Port : -1);
            _listenMarketData = KestrelPorts.Listen<MarketData.MarketDataConnectionHandler>(k, _config, _config.MarketDataListenPort);
            _listenSnapshot = KestrelPorts.Listen<MarketData.SnapshotConnectionHandler>(k, _config, _config.SnapshotListenPort);
            _listenDropCopy = KestrelPorts.Listen<MarketData.DropCopyConnectionHandler>(k, _config, _config.DropCopyListenPort);
            if (_metricsEndpoint is not null)
                k.Listen(IPAddress.Parse(_config.Address), _config.MetricsListenPort, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1;
                    _listenMetrics = listen;
                });
        });
        _metricsEndpoint?.Map(_app, () => MetricsPort);
        await _app.StartAsync(cancel).ConfigureAwait(false);
        if (_listen is not null) Port = KestrelPorts.BoundPort(_listen, _config.Port);
        MarketDataPort = KestrelPorts.BoundPort(_listenMarketData, _config.MarketDataListenPort);
        SnapshotPort = KestrelPorts.BoundPort(_listenSnapshot, _config.SnapshotListenPort);
        DropCopyPort = KestrelPorts.BoundPort(_listenDropCopy, _config.DropCopyListenPort);
        if (_listenMetrics is not null)
            MetricsPort = (_listenMetrics.EndPoint as IPEndPoint)?.Port ?? _config.MetricsListenPort;
    }

    /// <summary>
    /// Clean shutdown: End of Session to every connection (after what is already queued for it), then Kestrel stops,
    /// then the exchange reports every command it has taken and stops.
    /// </summary>
    public async Task StopAsync()
    {
        if (_stopped) return;
        _stopped = true;
        _context.Stopping = true;
        await _context.Registry.EndAllAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }
        _publisher.Dispose();
        // Ours when metrics time it: closed (fsynced) once the pipeline has stopped, unless a stage failed and may
        // still hold it, as the pipeline does with a journal it owns.
        if (Fault is null) _journal?.Dispose();
        // After the pipeline: every message it routed is written (the mark says so); the files are fsynced and closed.
        if (Fault is null && _ownsStreams)
        {
            _streams.Mark(_router.WrittenThrough);
            _streams.Dispose();
        }
        _context.Registry.Dispose();
        _metricsEndpoint?.Dispose();
        _meter?.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <summary>What the start's re-derivation did (null: none ran: a new session, no journal, or a mark it could not use).</summary>
    internal RederiveReport? Rederivation { get; private set; }

    /// <summary>
    /// The core as of the end of the journal. When the streams continue a session whose written-through mark is known,
    /// the state is recovered as of the mark and the journal after it is applied through the router
    /// (<see cref="StreamRederivation"/>), which writes the messages a crash left unwritten; otherwise (a new session,
    /// streams from before the mark, or no snapshot and journal that reach back to the mark) it is recovered as before.
    /// </summary>
    private CoreExchange RecoverAndRederive(GatewayConfig config, Core.Pipeline.PipelineOptions options,
        IReadOnlyDictionary<uint, UserStream> senders, IReadOnlyList<MessageLog> logs)
    {
        var log = _logging.CreateLogger("Exchange.Gateway.Hosting");
        if (options.Journal is not null && _streams.WrittenThroughAtStart is { } mark)
        {
            CoreExchange? atMark = null;
            try
            {
                atMark = Recovery.Recover(options.SnapshotDirectory, options.Journal.Directory, () => BuildExchange(config), mark).Exchange;
            }
            catch (InvalidDataException e)
            {
                log.LogWarning("Cannot rebuild the state at the streams' written-through mark {Mark}, so messages a crash left " +
                    "unwritten are not re-derived: {Reason}", mark, e.Message);
            }
            if (atMark is not null)
            {
                Rederivation = StreamRederivation.Run(atMark, options.Journal.Directory, mark + 1, _router, senders, logs);
                if (Rederivation.Commands > 0)
                    log.LogInformation("Re-derived the streams after a stop: {Report}", Rederivation.ToString());
                if (Rederivation.Mismatched > 0)
                    log.LogWarning("Re-derivation found {Count} held messages that differ from what the journal gives", Rederivation.Mismatched);
                return atMark;
            }
        }
        return Recovery.Recover(options, () => BuildExchange(config)).Exchange;
    }

    /// <summary>The health model at the recovered (or fresh) state: the one read of the core the metrics make.</summary>
    private static ExchangeHealth SeedHealth(CoreExchange exchange)
    {
        var health = new ExchangeHealth(exchange.InstrumentCount, exchange.Options.MaxAccountId);
        health.SeedLedgers(exchange.Insurance, exchange.Fees, exchange.ExchangeLedger);
        for (var a = 1; a <= exchange.MaxAccountId; a++)
        {
            if (!exchange.AccountExists(a)) continue;
            for (var i = 0; i < exchange.InstrumentCount; i++)
            {
                var qty = exchange.PositionQty(a, i);
                if (qty != 0) health.SeedPosition(a, i, qty);
            }
        }
        return health;
    }

    internal static CoreExchange BuildExchange(GatewayConfig config)
    {
        var exchange = new CoreExchange(config.ToExchangeOptions());
        foreach (var i in config.Instruments) exchange.AddInstrument(i.ToSpec(config.Decimals));
        return exchange;
    }
}
