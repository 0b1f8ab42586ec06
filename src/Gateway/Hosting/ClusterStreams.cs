using System.Buffers.Binary;
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
    private readonly ILogger _log;
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
            // The snapshot is past what the streams hold for certain (streams lost, or from before the mark): they go on
            // from the snapshot's counts; the messages before those are not on this node.
            if (known || sequence > 0)
                _log.LogWarning("The streams' written-through mark {Mark} is behind the snapshot at command {Sequence}: the " +
                                "streams go on from the snapshot and hold nothing between", mark, sequence);
            if (capture is { } counts) SkipTo(counts.Counts);
            mark = sequence;
        }
        _writtenAtStart = mark;
        Router.WrittenThrough = mark;
        store.Mark(mark);
        store.WrittenThrough = () => Router.WrittenThrough;
        // Messages the streams hold of commands after the mark are matched, in order, as those commands are routed again.
        foreach (var log in Set.Logs)
        {
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
            SkipTo(capture.Counts);
        }
        else
        {
            _log.LogWarning("The snapshot installed at command {Sequence} carries no stream counts: the streams go on as they are", sequence);
        }
        _writtenAtStart = Math.Max(_writtenAtStart, sequence);
        Router.WrittenThrough = sequence;
        _log.LogWarning("Installed the leader's snapshot at command {Sequence}: the streams go on from it; messages before it " +
                        "that this node had not written are not on this node", sequence);
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

    private void SkipTo(IReadOnlyDictionary<string, long> counts)
    {
        foreach (var stream in Set.All)
        {
            var name = Set.Store.Named.FirstOrDefault(kv => ReferenceEquals(kv.Value, stream.Log)).Key;
            if (name is not null && counts.TryGetValue(name, out var count)) stream.SkipTo(count + 1);
        }
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
        Set.Store.Mark(Router.WrittenThrough);
        Set.Store.Dispose();
    }
}
