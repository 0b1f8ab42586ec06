using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Exchange.Cluster;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Streams;
using Microsoft.Extensions.Logging;

namespace Exchange.Gateway.Hosting;

/// <summary>
/// A cluster node's streams (docs/cluster.md, "Streams on every node"): every user's stream, the market-data order log
/// and each drop-copy group's stream, on disk in the node's data directory under <c>streams/</c>, in one session whose
/// id is the cluster's. The node's state machine hands it every committed command it applies, and it routes the
/// command's events through the same <see cref="Routing.OutboundRouter"/> as a live leader, for the user of the
/// command's token space with its journaled token (as <see cref="StreamRederivation"/> does at a single server's
/// restart); while the node leads, its pipeline routes its own commands through that router live. So after the same log
/// index every node's streams hold the same messages, and a new leader's server continues the session on them.
/// <para>One thread at a time routes: the state machine's applier while the node follows; the pipeline's thread while
/// it leads (the state machine leaves the term's entries to it, docs/cluster.md "Applying once"); the host's thread
/// at the hand-back.</para>
/// <para>At start the node re-derives what a crash left unwritten, as a single server does: its newest snapshot is
/// never past the streams' written-through mark (<see cref="WaitDurable"/> holds a snapshot back until it is), the log
/// after the snapshot is applied again, and the commands after the mark are routed again with each stream skipping
/// what it holds.</para>
/// </summary>
internal sealed class ClusterStreams : ICommittedOutput, IDisposable
{
    private static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(10);
    // Fetch connections this node serves at a time: a peer fetching holds one, so a few clusters' worth; more (a stray
    // client's, a loop's) are closed at once rather than each holding a task and a 64 KiB buffer.
    internal const int MaxFetchConnections = 8;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(500);
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stopping = new();
    private IReadOnlyList<(int Id, IPEndPoint EndPoint)> _peers = [];
    private TcpListener? _listener;
    private Task _serving = Task.CompletedTask;
    // The streams' fill from a peer after a snapshot (CaughtUpAsync); completed when none is under way.
    private Task _fill = Task.CompletedTask;
    private long _fetched;
    private long _fetchFailures;
    private readonly UserStream _nobody;
    private readonly string _configuredSession;
    // Commands at or below it had their messages written before this start: not routed again.
    private long _writtenAtStart;
    // While re-deriving after a restart: the newest command any stream holds a message of.
    private long _rederiveUntil = -1;

    public ClusterStreams(GatewayConfig config, string nodeDirectory, ILogger log)
    {
        _log = log;
        _configuredSession = config.Session;
        var store = new StreamStore(nodeDirectory, config.Streams.ToWindow(), config.Session,
            config.Pipeline.Fsync == "never" ? 0 : config.Pipeline.FsyncIntervalMs, DateTime.UtcNow, config.Pipeline.FsyncIntervalMs,
            adoptSession: true);
        try
        {
            Set = new GatewayStreams(config, store);
        }
        catch
        {
            store.Dispose();
            throw;
        }
        _nobody = new UserStream(Gateway.MarketData.MarketDataUser.Instance, new MessageLog(new RetentionWindow(1024, 1 << 20, 0, 1 << 20)));
        SessionProposal = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    }

    /// <summary>The streams, the users and the router.</summary>
    public GatewayStreams Set { get; }

    /// <summary>The cluster's session id; blank until the node learns it (the log's first barrier, or a snapshot).</summary>
    public string SessionId => Set.Store.SessionId;

    /// <inheritdoc/>
    public ulong SessionProposal { get; }

    /// <summary>What the start's re-derivation did (null: none was needed).</summary>
    public string? Rederived { get; private set; }

    private Routing.OutboundRouter Router => Set.Router;

    /// <inheritdoc/>
    public void OnStart(long sequence, ReadOnlySpan<byte> extra)
    {
        var store = Set.Store;
        var capture = Parse(extra);
        if (capture is { } c) Adopt(c.Session);
        long mark = store.WrittenThroughAtStart ?? 0;
        bool known = store.WrittenThroughAtStart is not null;
        if (sequence > mark)
        {
            // The snapshot is past what the streams hold for certain (streams lost, or from before the mark): the
            // messages up to the snapshot's counts that they lack are fetched from a peer (below).
            if (known || sequence > 0)
                _log.LogWarning("The streams' written-through mark {Mark} is behind the snapshot at command {Sequence}: the " +
                                "messages up to the snapshot's counts are fetched from a peer", mark, sequence);
            mark = sequence;
        }
        // Streams that hold fewer messages than the snapshot's counts (a snapshot installed before a stop, or a fetch a
        // stop interrupted) are filled from a peer before the node applies anything.
        var filling = capture is { } counts ? StartFill(counts.Counts, sequence) : [];
        _writtenAtStart = mark;
        Router.WrittenThrough = mark;
        store.Mark(mark);
        store.WrittenThrough = () => Router.WrittenThrough;
        // Messages the streams hold of commands after the mark are matched, in order, as those commands are routed again.
        // (A stream being filled holds only messages of commands at or before the snapshot's.)
        foreach (var log in Set.Logs)
        {
            if (filling.Contains(log)) continue;
            log.BeginRederive(mark + 1);
            _rederiveUntil = Math.Max(_rederiveUntil, log.LastCommand);
        }
        if (_rederiveUntil <= mark) EndRederive();
    }

    /// <inheritdoc/>
    public void OnCommand(in Command command, ReadOnlySpan<Event> events)
    {
        if (command.Sequence <= _writtenAtStart) return;
        var sender = command.Origin != 0 && Set.Senders.TryGetValue(command.Origin, out var s) ? s : _nobody;
        var messageType = command.Type == CommandType.GatewayReject ? command.RejectedMessageType : StreamRederivation.MessageTypeOf(command.Type);
        Router.Rederive(sender, command.Token, messageType, command.Sequence, events);
        if (_rederiveUntil >= 0 && command.Sequence >= _rederiveUntil) EndRederive();
    }

    /// <inheritdoc/>
    public void OnEntryApplied() => Router.OnEndOfBatch();

    /// <inheritdoc/>
    public void OnBarrier(ulong proposal)
    {
        if (SessionId.Length > 0) return;
        // A barrier from before barriers carried a proposal: every node falls back to the same fixed id.
        Adopt(proposal != 0 ? StreamStore.NewSessionId((long)proposal) : "CLUSTER");
    }

    /// <inheritdoc/>
    public void OnInstalled(long sequence, ReadOnlySpan<byte> extra)
    {
        EndRederive();
        if (Parse(extra) is { } capture)
        {
            Adopt(capture.Session);
            var filling = StartFill(capture.Counts, sequence);
            _log.LogWarning("Installed the leader's snapshot at command {Sequence}: {Count} streams lack messages before it, " +
                            "fetched from a peer before anything after it is routed", sequence, filling.Count);
        }
        else
        {
            _log.LogWarning("The snapshot installed at command {Sequence} carries no stream counts: the streams go on as they are", sequence);
        }
        _writtenAtStart = Math.Max(_writtenAtStart, sequence);
        Router.WrittenThrough = sequence;
    }

    /// <inheritdoc/>
    public ValueTask CaughtUpAsync(CancellationToken token) =>
        _fill.IsCompleted ? ValueTask.CompletedTask : new ValueTask(_fill.WaitAsync(token));

    /// <summary>Where this node serves its streams to its peers, and where it fetches from (docs/cluster.md, "Streams in
    /// snapshots"). Before the node starts applying its log.</summary>
    public void Serve(IPEndPoint self, IReadOnlyList<(int Id, IPEndPoint EndPoint)> peers)
    {
        _peers = peers;
        var listener = new TcpListener(self);
        try
        {
            listener.Start();
        }
        catch (SocketException e)
        {
            throw new InvalidOperationException($"cluster: this node's streams address {self} (the member's \"streams\", " +
                                                $"by default its client port + 5) cannot be listened on: {e.Message}", e);
        }
        _listener = listener;
        _serving = Task.Run(() => StreamFetch.ServeAsync(listener, () => SessionId, Set.Store.Named, _log, MaxFetchConnections, FetchTimeout,
            _stopping.Token));
    }

    /// <summary>The address the stream fetches are served on (tests).</summary>
    internal IPEndPoint? ServingEndPoint => (IPEndPoint?)_listener?.LocalEndpoint;

    /// <summary>Messages fetched from peers since the start, and fetch attempts that failed (a peer down, behind, or
    /// sending something that did not check out).</summary>
    public long Fetched => Interlocked.Read(ref _fetched);

    /// <inheritdoc cref="Fetched"/>
    public long FetchFailures => Interlocked.Read(ref _fetchFailures);

    // The streams below the snapshot's counts get their missing messages from a peer, on a task the state machine awaits
    // before its next entry (CaughtUpAsync). Returns the logs being filled.
    private HashSet<MessageLog> StartFill(IReadOnlyDictionary<string, long> counts, long sequence)
    {
        var pending = new List<(string Name, UserStream Stream, long To)>();
        foreach (var stream in Set.All)
        {
            var name = Set.Store.Named.FirstOrDefault(kv => ReferenceEquals(kv.Value, stream.Log)).Key;
            if (name is null || !counts.TryGetValue(name, out var count) || count <= stream.Log.Count) continue;
            pending.Add((name, stream, count));
        }
        var logs = new HashSet<MessageLog>();
        if (pending.Count == 0) return logs;
        if (_peers.Count == 0)
        {
            // No peer to ask (a node outside a cluster: tests of the streams alone): the streams go on from the counts.
            foreach (var (_, stream, to) in pending) stream.SkipTo(to + 1);
            _log.LogWarning("No peer to fetch {Count} streams' messages before command {Sequence} from: they go on from the snapshot", pending.Count, sequence);
            return logs;
        }
        foreach (var (_, stream, to) in pending)
        {
            stream.FetchingTo = to;
            logs.Add(stream.Log);
        }
        _fill = Task.Run(() => FillAsync(pending, sequence, _stopping.Token));
        return logs;
    }

    private async Task FillAsync(List<(string Name, UserStream Stream, long To)> pending, long sequence, CancellationToken cancel)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        long total = 0, skipped = 0;
        var round = 0;
        while (pending.Count > 0)
        {
            cancel.ThrowIfCancellationRequested();
            var progress = false;
            // Each round asks the peers in turn, starting one further each time, for every stream still lacking messages.
            for (var p = 0; p < _peers.Count && pending.Count > 0; p++)
            {
                var (id, endPoint) = _peers[(round + p) % _peers.Count];
                try
                {
                    using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(cancel))
                    {
                        connecting.CancelAfter(FetchTimeout);
                        await socket.ConnectAsync(endPoint, connecting.Token).ConfigureAwait(false);
                    }
                    await using var network = new NetworkStream(socket, ownsSocket: false);
                    // Records are read a header and a message at a time: buffered, not a receive call each.
                    await using var connection = new BufferedStream(network, 1 << 16);
                    for (var i = 0; i < pending.Count;)
                    {
                        var (name, stream, to) = pending[i];
                        var from = stream.Log.Count + 1;
                        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                        timeout.CancelAfter(FetchTimeout);
                        var result = await StreamFetch.FetchAsync(connection, SessionId, name, from, to,
                            (number, record) => Append(stream, name, number, record.Span), timeout.Token).ConfigureAwait(false);
                        Publish(stream);
                        if (result.Refusal is not null)
                        {
                            Interlocked.Increment(ref _fetchFailures);
                            _log.LogWarning("Node {Peer} cannot supply messages {From} to {To} of stream {Name}: {Reason}; another peer is asked",
                                id, from, to, name, result.Refusal);
                            i++;
                            continue;
                        }
                        if (result.First > from)
                        {
                            // The whole range is past the peer's window: the stream goes on after it.
                            if (result.Appended == 0) stream.SkipTo(to + 1);
                            skipped += result.First - from;
                            _log.LogWarning("Messages {From} to {Last} of stream {Name} are past node {Peer}'s retention window: the stream " +
                                            "holds them from {First}", from, result.First - 1, name, id, result.First);
                        }
                        total += result.Appended;
                        Interlocked.Add(ref _fetched, result.Appended);
                        stream.FetchingTo = 0;
                        pending.RemoveAt(i);
                        progress = true;
                    }
                }
                catch (Exception e) when (!cancel.IsCancellationRequested && e is IOException or SocketException or InvalidDataException
                                              or OperationCanceledException or EndOfStreamException)
                {
                    // What was appended before the failure was checked record by record; the next attempt goes on after it.
                    foreach (var (_, stream, _) in pending) Publish(stream);
                    Interlocked.Increment(ref _fetchFailures);
                    _log.LogWarning("Fetching streams' messages from node {Peer} at {EndPoint} failed: {Error}; another peer is asked",
                        id, endPoint, e.Message);
                }
            }
            round++;
            if (pending.Count > 0 && !progress)
            {
                _log.LogError("No peer could supply the messages of {Count} streams before command {Sequence} (first: {Name} up to {To}); " +
                              "this node applies nothing more until one does: retrying", pending.Count, sequence, pending[0].Name, pending[0].To);
                await Task.Delay(RetryDelay, cancel).ConfigureAwait(false);
            }
        }
        _log.LogWarning("Fetched {Count} stream messages before command {Sequence} from peers in {Ms:F0} ms ({Skipped} past the peers' " +
                        "retention windows)", total, sequence, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, skipped);
    }

    // A fetched record (its CRC checked): appended if it is the stream's next message; a gap is taken only when the peer
    // no longer holds what precedes it (its retention window), anything else is refused.
    private static void Append(UserStream stream, string name, long number, ReadOnlySpan<byte> record)
    {
        lock (stream.Gate)
        {
            var log = stream.Log;
            if (number <= log.Count)
                throw new InvalidDataException($"the peer sent message {number} of {name}, which this node holds already");
            // Only an answer's first record can be past the stream's next message (the fetch numbers them in order):
            // the peer's oldest kept message is after it.
            if (number > log.Count + 1) stream.SkipTo(number);
            var appended = log.AppendFetched(record);
            if (appended != number || !log.GetRecord(appended).SequenceEqual(record))
                throw new InvalidDataException($"message {number} of {name} from the peer was not stored as sent");
            if ((number & 1023) == 0) log.Flush();
        }
    }

    private static void Publish(UserStream stream)
    {
        lock (stream.Gate) stream.Log.Flush();
        stream.NotifyReaders();
    }

    /// <summary>Before this node's pipeline takes the router (a take-over): re-derivation is over.</summary>
    public void BeforeLeading()
    {
        EndRederive();
        Set.Pending.Reset();
    }

    /// <inheritdoc/>
    public byte[] Capture()
    {
        // Session id, then each stream's name and message count (little-endian, lengths u16, counts i64).
        var named = Set.Store.Named;
        var session = Encoding.ASCII.GetBytes(SessionId);
        var size = 2 + session.Length + 4;
        foreach (var name in named.Keys) size += 2 + Encoding.ASCII.GetByteCount(name) + 8;
        var bytes = new byte[size];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)session.Length);
        session.CopyTo(span[2..]);
        var at = 2 + session.Length;
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], named.Count);
        at += 4;
        foreach (var (name, log) in named)
        {
            var n = Encoding.ASCII.GetBytes(name);
            BinaryPrimitives.WriteUInt16LittleEndian(span[at..], (ushort)n.Length);
            n.CopyTo(span[(at + 2)..]);
            at += 2 + n.Length;
            BinaryPrimitives.WriteInt64LittleEndian(span[at..], log.Count);
            at += 8;
        }
        return bytes;
    }

    /// <inheritdoc/>
    public bool WaitDurable(long sequence)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (Set.Store.MarkNow() < sequence)
        {
            if (DateTime.UtcNow > deadline) return false;
            Thread.Sleep(10);
        }
        return true;
    }

    private void Adopt(string session)
    {
        if (session.Length == 0) return;
        if (SessionId.Length > 0 && SessionId != session && _configuredSession.Length == 0)
            _log.LogWarning("This node's streams are of session {Own}, the cluster's is {Cluster}: they go on as {Own}", SessionId, session, SessionId);
        Set.Store.Adopt(session);
    }

    private void EndRederive()
    {
        if (_rederiveUntil < 0) return;
        _rederiveUntil = -1;
        long held = 0, appended = 0, mismatched = 0;
        foreach (var log in Set.Logs)
        {
            if (!log.Rederiving) continue;
            log.EndRederive();
            held += log.Rederived.Held;
            appended += log.Rederived.Appended;
            mismatched += log.Rederived.Mismatched;
        }
        Rederived = $"{appended} messages appended, {held} already held, {mismatched} mismatched";
        if (appended > 0 || mismatched > 0)
            _log.LogInformation("Re-derived the streams after a stop: {Report}", Rederived);
        if (mismatched > 0)
            _log.LogWarning("Re-derivation found {Count} held messages that differ from what the log gives", mismatched);
    }

    private static (string Session, Dictionary<string, long> Counts)? Parse(ReadOnlySpan<byte> extra)
    {
        if (extra.Length < 6) return null;
        var length = BinaryPrimitives.ReadUInt16LittleEndian(extra);
        var session = Encoding.ASCII.GetString(extra.Slice(2, length));
        var at = 2 + length;
        var n = BinaryPrimitives.ReadInt32LittleEndian(extra[at..]);
        at += 4;
        var counts = new Dictionary<string, long>(n);
        for (var i = 0; i < n; i++)
        {
            var l = BinaryPrimitives.ReadUInt16LittleEndian(extra[at..]);
            var name = Encoding.ASCII.GetString(extra.Slice(at + 2, l));
            at += 2 + l;
            counts[name] = BinaryPrimitives.ReadInt64LittleEndian(extra[at..]);
            at += 8;
        }
        return (session, counts);
    }

    public void Dispose()
    {
        if (_stopping.IsCancellationRequested) return;
        _stopping.Cancel();
        _listener?.Stop();
        try
        {
            Task.WaitAll([_serving, _fill], TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        Set.Store.Mark(Router.WrittenThrough);
        Set.Store.Dispose();
    }
}
