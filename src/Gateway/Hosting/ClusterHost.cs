using System.Diagnostics;
using System.Net;
using Exchange.Cluster;
using Exchange.Core.Pipeline;
using Exchange.Gateway.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Exchange.Gateway.Hosting;

/// <summary>
/// <c>exchange serve</c> as one node of a cluster (docs/cluster.md). The node always runs Raft and applies the
/// committed log. Its order-entry port (<see cref="OrderEntryPort"/>) is bound for its whole life: while it follows,
/// the port sends clients to the leader. When it is elected, it takes over at a barrier and runs a
/// <see cref="GatewayServer"/>, whose pipeline journals through the term's <see cref="RaftJournal"/>, and the port hands
/// new connections to it; when it is deposed, that server's pipeline stops on the first refused commit (nothing more is
/// acknowledged), the port refuses again and the server is stopped.
/// </summary>
public sealed class ClusterHost : IAsyncDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    private readonly GatewayConfig _config;
    private readonly ClusterConfig _cluster;
    private readonly ClusterOptions _options;
    private readonly ILoggerFactory _logging;
    private readonly ILogger _log;
    private readonly Action<ILoggingBuilder>? _configureLogging;
    private readonly Action<long, Exchange.Core.Exchange>? _applied;
    private readonly CancellationTokenSource _stop = new();
    private ClusterNode? _node;
    private ClusterStreams? _streams;
    private StreamServer? _streamServer;
    private OrderEntryPort? _orderPort;
    private volatile GatewayServer? _server;
    private Task _running = Task.CompletedTask;
    private volatile Exception? _fault;
    private volatile bool _needsRepair;
    private int _restarts;
    private int _inARow;
    private long _opened;
    // The longest wait between two restarts, and how long a re-opened node must run before its restarts count afresh.
    private static readonly TimeSpan MaxRestartDelay = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(60);
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);

    /// <param name="config">A configuration with a <see cref="GatewayConfig.Cluster"/> section; this node listens on its
    /// member's client address (the configuration's address and port are not used).</param>
    /// <param name="applied">Called on the node's applier after each committed log entry with its index and the
    /// committed state (the failover tests print state hashes with it).</param>
    public ClusterHost(GatewayConfig config, ILoggerFactory? logging = null, Action<ILoggingBuilder>? configureLogging = null,
        Action<long, Exchange.Core.Exchange>? applied = null)
    {
        config.Validate();
        _cluster = config.Cluster ?? throw new ArgumentException("The configuration has no cluster section.", nameof(config));
        _options = _cluster.ToOptions();
        var client = _options.Self.ClientEndPoint!;
        // Always the single-thread pipeline: it applies a batch only after its commit, so the leader applies each command
        // once, on the state machine's own exchange, and its streams are written by one thread at a time with the
        // followers' routing (docs/cluster.md). The parallel one applies ahead of the commit.
        _config = config with
        {
            Address = client.Address.ToString(), Port = client.Port,
            Pipeline = config.Pipeline with { Topology = "single" },
        };
        _logging = logging ?? NullLoggerFactory.Instance;
        _log = _logging.CreateLogger("Exchange.Cluster");
        _configureLogging = configureLogging;
        _applied = applied;
    }

    /// <summary>This node.</summary>
    public ClusterMember Self => _options.Self;

    /// <summary>The node's Raft member, once started.</summary>
    public ClusterNode Node => _node ?? throw new InvalidOperationException("Not started.");

    /// <summary>The order-entry server while this node leads and takes orders; null otherwise.</summary>
    public GatewayServer? Server => _server;

    /// <summary>The node's streams (its users', the order log, the drop-copy groups'), once started.</summary>
    internal ClusterStreams Streams => _streams ?? throw new InvalidOperationException("Not started.");

    /// <summary>The cluster's session id, once this node knows it (blank before).</summary>
    public string SessionId => _streams?.SessionId ?? "";

    /// <summary>The node's read-only ports (market data, drop copy), served whether it leads or follows; −1 when off.</summary>
    public int MarketDataPort => _streamServer?.MarketDataPort ?? -1;

    /// <inheritdoc cref="MarketDataPort"/>
    public int DropCopyPort => _streamServer?.DropCopyPort ?? -1;

    /// <summary>Why the node stopped working (its log failed, or a leader's server could not start).</summary>
    public Exception? Fault => _fault;

    /// <summary>How many times this node was re-opened from its disk after its log stopped (see <see cref="RestartAsync"/>).</summary>
    public int Restarts => Volatile.Read(ref _restarts);

    /// <summary>Whether <see cref="Fault"/> is one that restarting cannot cure: the node's log or snapshot is damaged, or
    /// its configuration differs from the cluster's (<c>exchange serve</c> exits with <see cref="Cli.ExitCode.NeedsRepair"/>).</summary>
    public bool FaultNeedsRepair => _needsRepair;

    /// <summary>Opens the node's log and snapshots, joins the cluster and opens the order-entry port.</summary>
    public async Task StartAsync(CancellationToken cancel = default)
    {
        await OpenAsync(cancel).ConfigureAwait(false);
        _running = Task.Run(RunAsync, CancellationToken.None);
    }

    // Opens the node from its disk (log and snapshot), its streams and its ports; on failure, closes what it opened.
    private async Task OpenAsync(CancellationToken cancel)
    {
        var streams = new ClusterStreams(_config, _options.DataDirectory, _log);
        ClusterNode? node = null;
        StreamServer? streamServer = null;
        try
        {
            // Served before the node applies anything: a peer that installed a snapshot fetches its streams' missing
            // messages here, and this node may need its peers' at its own start (docs/cluster.md, "Streams in snapshots").
            var self = _cluster.Members.First(m => m.Id == _cluster.NodeId);
            streams.Serve(self.StreamsEndPoint(),
                _cluster.Members.Where(m => m.Id != _cluster.NodeId).Select(m => (m.Id, m.StreamsEndPoint())).ToList());
            node = await ClusterNode.StartAsync(_options, () => GatewayServer.BuildExchange(_config), _logging, _applied, streams, cancel)
                .ConfigureAwait(false);
            streamServer = await StreamServer.StartAsync(_config, streams.Set, _logging, _configureLogging, cancel).ConfigureAwait(false);
            _orderPort = await OrderEntryPort.StartAsync(_config, () => node.Leader?.ClientEndPoint, _configureLogging, cancel,
                streams.Set.Users).ConfigureAwait(false);
        }
        catch
        {
            if (streamServer is not null) await streamServer.DisposeAsync().ConfigureAwait(false);
            if (node is not null) await node.DisposeAsync().ConfigureAwait(false);
            streams.Dispose();
            throw;
        }
        _streams = streams;
        _streamServer = streamServer;
        _node = node;
        _opened = Stopwatch.GetTimestamp();
        // Woken at once when the leader changes and when a new leadership may act (the polls are the fallback): a new
        // leader's take-over starts then.
        node.LeadershipReady += () =>
        {
            _wake.Release();
            _log.LogInformation("Node {Node}: may lead (term {Term}, committed {Committed})", Self.Id, node.Term, node.CommitIndex);
        };
        node.LeaderChanged += leader =>
        {
            _wake.Release();
            // Where a failover's time goes (docs/cluster.md, Tuning): a survivor loses the leader when its election timer
            // fires, and learns the next one when it is elected or hears from it; the log's end tells which survivor can win.
            _log.LogInformation("Node {Node}: leader {Leader} (term {Term}, log {Last}, committed {Committed})", Self.Id,
                leader is null ? "none" : leader.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), node.Term,
                node.LastLogIndex, node.CommitIndex);
        };
    }

    // Stops the node's ports, its Raft member and its log, and closes its streams (the node object stays readable).
    private async Task CloseAsync()
    {
        if (Interlocked.Exchange(ref _orderPort, null) is { } port)
            await Quietly("its order-entry port", port.DisposeAsync).ConfigureAwait(false);
        if (Interlocked.Exchange(ref _streamServer, null) is { } streamServer)
            await Quietly("its market-data and drop-copy ports", streamServer.DisposeAsync).ConfigureAwait(false);
        if (_node is { } node)
            await Quietly("its Raft member and log", node.DisposeAsync).ConfigureAwait(false);
        if (Interlocked.Exchange(ref _streams, null) is { } streams)
            await Quietly("its streams", () =>
            {
                streams.Dispose();
                return ValueTask.CompletedTask;
            }).ConfigureAwait(false);
    }

    // A part of a node whose log stopped may fail as it stops: the restart goes on (the disk is what it re-opens from).
    private async Task Quietly(string what, Func<ValueTask> dispose)
    {
        try
        {
            await dispose().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _log.LogWarning(e, "Node {Node}: stopping {What} failed: {Reason}", Self.Id, what, e.Message);
        }
    }

    private async Task RunAsync()
    {
        try
        {
            while (await FollowAndLeadAsync().ConfigureAwait(false) is { } stopped)
                await RestartAsync(stopped).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            _fault = e;
            _log.LogCritical(e, "Node {Node} stopped working: {Reason}", Self.Id, e.Message);
        }
    }

    // Follows and leads until the host stops (null) or the node's log stops (its cause). Throws when the node cannot go
    // on and restarting it cannot help (a damaged entry, a leader with another configuration).
    private async Task<Exception?> FollowAndLeadAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            if (Node.Fault is { } fault)
            {
                _needsRepair = true;
                throw new InvalidDataException($"node {Self.Id} stopped applying the log: {fault.Message}", fault);
            }
            if (Node.LogFault is { } stopped)
                return stopped;
            if (!Node.IsLeader)
            {
                await _wake.WaitAsync(Poll, _stop.Token).ConfigureAwait(false);
                continue;
            }
            long elected = Stopwatch.GetTimestamp();
            var term = await Node.TakeOverAsync(_cluster.MaxEntryBytes, shareState: true, _stop.Token).ConfigureAwait(false);
            if (term is null) continue;
            await LeadAsync(term, elected).ConfigureAwait(false);
        }
        return null;
    }

    /// <summary>
    /// The node's write-ahead log stopped (<see cref="ClusterNode.LogFault"/>): the library fails every later append,
    /// commit and read, so the node would stay up neither voting nor applying. Its order entry has stopped (a leader's
    /// pipeline with it); its ports, Raft member, log and streams are closed, and after a back-off
    /// (<see cref="ClusterConfig.RestartDelayMs"/>, doubled at each restart in a row) it is opened again from its disk,
    /// as a process restart would: its newest snapshot and its log, then the entries the leader sends it. It re-joins as
    /// a follower and catches up; nothing acknowledged is lost (a majority holds every acknowledged entry). At most
    /// <see cref="ClusterConfig.RestartAttempts"/> restarts in a row (the count starts afresh once the node has run for
    /// <see cref="StableAfter"/>), then the host stops with the cause. A node that cannot be opened because its log or
    /// snapshot is damaged stops at once (<see cref="FaultNeedsRepair"/>).
    /// </summary>
    private async Task RestartAsync(Exception cause)
    {
        if (Stopwatch.GetElapsedTime(_opened) >= StableAfter)
            _inARow = 0;
        while (true)
        {
            _inARow++;
            if (_inARow > _cluster.RestartAttempts)
                throw new InvalidOperationException(
                    $"node {Self.Id}: its write-ahead log stopped ({Describe(cause)})" + (_cluster.RestartAttempts == 0
                        ? " and restarts are off (cluster.restartAttempts 0)"
                        : $" and {_cluster.RestartAttempts} restart(s) in a row from its disk did not keep it running") +
                    "; the node stops (started again, it catches up from the others)", cause);
            var delay = TimeSpan.FromMilliseconds(Math.Min((double)_cluster.RestartDelayMs * (1L << Math.Min(_inARow - 1, 20)), MaxRestartDelay.TotalMilliseconds));
            _log.LogError(cause, "Node {Node}: its write-ahead log stopped ({Cause}); stopping its Raft member and order entry, " +
                                 "re-opening it from its disk in {Delay:F0} ms (restart {Attempt} of at most {Max} in a row)",
                Self.Id, Describe(cause), delay.TotalMilliseconds, _inARow, _cluster.RestartAttempts);
            await CloseAsync().ConfigureAwait(false);
            await Task.Delay(delay, _stop.Token).ConfigureAwait(false);
            try
            {
                await OpenAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (InvalidDataException e)
            {
                _needsRepair = true;
                throw new InvalidDataException($"node {Self.Id} cannot be re-opened from its disk: {e.Message}", e);
            }
            catch (Exception e) when (e is not OperationCanceledException || !_stop.IsCancellationRequested)
            {
                cause = e;
                continue;
            }
            Interlocked.Increment(ref _restarts);
            _log.LogWarning("Node {Node} re-opened from its disk (snapshot at index {Snapshot}, log to index {Last}): it re-joins " +
                            "the cluster as a follower and catches up", Self.Id, Node.StateMachine.AppliedIndex, Node.LastLogIndex);
            return;
        }
    }

    private static string Describe(Exception e) => $"{e.GetType().Name}: {e.Message}";

    private async Task LeadAsync(Leadership term, long elected)
    {
        long tookOver = Stopwatch.GetTimestamp();
        GatewayServer server;
        try
        {
            // Built while the port still refuses (it binds nothing: the port is the node's, OrderEntryPort). It
            // continues the cluster's session on the node's streams; market data and drop copy stay on the node's own
            // ports (StreamServer), which serve them whether it leads or not.
            Streams.BeforeLeading();
            server = new GatewayServer(_config with { MarketDataPort = -1, DropCopyPort = -1 }, _logging, _configureLogging,
                inProcess: false, term, nodeStreams: Streams.Set);
        }
        catch
        {
            // No pipeline ever ran on the exchange.
            Node.HandBack(term);
            throw;
        }
        try
        {
            // Orders are taken from the moment the pipeline runs; the server's other ports (snapshot, metrics) follow.
            server.StartPipeline();
            OrderPort.Leader = server;
            _server = server;
            long taking = Stopwatch.GetTimestamp();
            await server.StartListenersAsync(_stop.Token).ConfigureAwait(false);
            _log.LogWarning("Node {Node} leads in term {Term}: taking orders on {EndPoint} from sequence {Sequence} " +
                            "(take-over {TakeOver:F0} ms, server start {Start:F0} ms; its other ports {Ports:F0} ms more)",
                Self.Id, term.Term, server.EndPoint, term.Exchange.LastSequence + 1,
                Stopwatch.GetElapsedTime(elected, tookOver).TotalMilliseconds, Stopwatch.GetElapsedTime(tookOver, taking).TotalMilliseconds,
                Stopwatch.GetElapsedTime(taking).TotalMilliseconds);
            while (!_stop.IsCancellationRequested && !term.Token.IsCancellationRequested && server.Fault is null && Node.Fault is null
                   && Node.LogFault is null)
                await _wake.WaitAsync(Poll, CancellationToken.None).ConfigureAwait(false);
            _log.LogWarning("Node {Node} no longer leads (term {Term}): {Reason}", Self.Id, term.Term,
                server.Fault?.Message ?? (_stop.IsCancellationRequested ? "stopping"
                    : Node.LogFault is { } stopped ? "its log stopped: " + stopped.Message : "deposed"));
        }
        finally
        {
            // New connections are refused again from here; the server ends its own (End of Session).
            OrderPort.Leader = null;
            _server = null;
            await server.StopAsync().ConfigureAwait(false);
            // The state machine's own exchange goes back to it once no pipeline thread can touch it any more.
            if (term.SharesState)
            {
                if (!server.PipelineStopped)
                    throw new InvalidOperationException(
                        $"node {Self.Id}: the pipeline of term {term.Term} did not stop, so its state cannot go back to the node; restart the node");
                Node.HandBack(term);
            }
        }
    }

    private OrderEntryPort OrderPort => _orderPort ?? throw new InvalidOperationException("Not started.");

    /// <summary>Stops taking orders (as a single server stops), closes the port and leaves the cluster.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _running.ConfigureAwait(false);
        if (Interlocked.Exchange(ref _orderPort, null) is { } port) await port.DisposeAsync().ConfigureAwait(false);
        if (Interlocked.Exchange(ref _streamServer, null) is { } streamServer) await streamServer.DisposeAsync().ConfigureAwait(false);
        if (_node is not null) await _node.DisposeAsync().ConfigureAwait(false);
        Interlocked.Exchange(ref _streams, null)?.Dispose();
        _stop.Dispose();
    }
}
