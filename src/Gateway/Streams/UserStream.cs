using Exchange.Client.Protocol;
using Exchange.Gateway.Protocol;
using Exchange.Gateway.Security;
using Exchange.Gateway.Sessions;

namespace Exchange.Gateway.Streams;

/// <summary>
/// One user's side of the session: its log of sequenced messages and the connections reading it (the token state is
/// the core's, docs/architecture.md). Everything but <see cref="Log"/> reads is guarded by <see cref="Gate"/>; no code holds two streams'
/// gates at once.
/// </summary>
internal sealed class UserStream(User user, MessageLog log)
{
    public readonly Lock Gate = new();
    public User User { get; } = user;
    /// <summary>The stream's messages: the retention window, persisted when the server has a data directory.</summary>
    public MessageLog Log { get; } = log;

    private readonly List<SessionSender> _readers = [];

    // Scratch of the output thread while it handles one command (see OutboundRouter).
    internal long NotifyBy = -1;

    /// <summary>Appends a copy of message <paramref name="sequence"/>, byte for byte; returns the copy's number, or 0
    /// when the original has left the retention window.</summary>
    public long AppendCopy(long sequence)
    {
        if (!Log.IsRetained(sequence)) return 0;
        // Reserve first: a new segment may recycle the one the original is in, which the check after it catches.
        var length = Log.Get(sequence).Length;
        var copy = Log.Reserve(length);
        if (!Log.IsRetained(sequence)) return 0;
        Log.Get(sequence).CopyTo(copy);
        return Log.Commit(length);
    }

    public long AppendRejected(long timestamp, uint token, byte messageType, byte code, uint account, int instrument, long orderId)
    {
        var span = Log.Reserve(Outbound.RejectedLength);
        return Log.Commit(OutboundEncoder.Rejected(span, timestamp, token, messageType, code, account, instrument, orderId));
    }

    /// <summary>While a cluster node fetches this stream's messages from a peer after a snapshot (docs/cluster.md,
    /// "Streams in snapshots"): the count it fills up to; 0 otherwise. A login asking for a message past what the stream
    /// holds meanwhile is refused (docs/protocol.md section 8), not started at the stream's end.</summary>
    public long FetchingTo
    {
        get => Volatile.Read(ref _fetchingTo);
        set => Volatile.Write(ref _fetchingTo, value);
    }

    private long _fetchingTo;

    /// <summary>A cluster node installed a snapshot: the stream goes on at <paramref name="next"/> (<see cref="MessageLog.SkipTo"/>);
    /// its connections are closed first (they may log in again from <paramref name="next"/>).</summary>
    public void SkipTo(long next)
    {
        lock (Gate)
        {
            if (next <= Log.Count + 1) return;
            foreach (var reader in _readers) reader.Drop("the node's streams went on from a snapshot: log in again");
            Log.SkipTo(next);
        }
    }

    public bool TryAttach(SessionSender sender, int max)
    {
        if (_readers.Count >= max) return false;
        _readers.Add(sender);
        return true;
    }

    public void Detach(SessionSender sender) => _readers.Remove(sender);

    /// <summary>Tells every connection reading this stream that the log grew (non-blocking: signals, or drops a slow one).</summary>
    public void NotifyReaders() => NotifyReaders(null);

    /// <summary>As <see cref="NotifyReaders()"/>, from the output side: the stream is flushed (one write call) and
    /// its readers woken when the <paramref name="batch"/> ends (<see cref="Routing.WakeBatch.Flush"/>), not per
    /// command. Until then its new messages are committed but not published, so no reader, woken or mid-send, sees
    /// them. Under <see cref="Gate"/>.</summary>
    public void NotifyReaders(Routing.WakeBatch? batch)
    {
        if (batch is null)
        {
            Publish(null);
            return;
        }
        if (_inBatch) return;
        _inBatch = true;
        batch.AddStream(this);
    }

    // Set while this stream waits in the output side's batch (output thread, under the gate).
    private bool _inBatch;

    /// <summary>Writes the stream's new messages to its file, publishes them, then tells the readers (through
    /// <paramref name="batch"/>, or at once). Under <see cref="Gate"/>.</summary>
    internal void Publish(Routing.WakeBatch? batch)
    {
        _inBatch = false;
        // Written to the stream's file before any reader can see it (MessageLog.Flush).
        Log.Flush();
        var count = Log.Published;
        foreach (var reader in _readers) reader.OnAppended(count, batch);
    }
}
