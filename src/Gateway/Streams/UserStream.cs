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
internal sealed class UserStream(User user)
{
    public readonly Lock Gate = new();
    public User User { get; } = user;
    public MessageLog Log { get; } = new();

    private readonly List<Session> _readers = [];

    // Scratch of the output thread while it handles one command (see OutboundRouter).
    internal long NotifyBy = -1;

    /// <summary>Appends a copy of message <paramref name="sequence"/>, byte for byte; returns the copy's number.</summary>
    public int AppendCopy(int sequence) => Log.Append(Log.Get(sequence));

    public int AppendRejected(long timestamp, uint token, byte messageType, byte code, uint account, int instrument, long orderId)
    {
        var span = Log.Reserve(Outbound.RejectedLength);
        return Log.Commit(OutboundEncoder.Rejected(span, timestamp, token, messageType, code, account, instrument, orderId));
    }

    public bool TryAttach(Session session, int max)
    {
        if (_readers.Count >= max) return false;
        _readers.Add(session);
        return true;
    }

    public void Detach(Session session) => _readers.Remove(session);

    /// <summary>Tells every connection reading this stream that the log grew (non-blocking: signals, or drops a slow one).</summary>
    public void NotifyReaders() => NotifyReaders(null);

    /// <summary>As <see cref="NotifyReaders()"/>, from the output side: the readers are woken when its
    /// <paramref name="batch"/> ends.</summary>
    public void NotifyReaders(Routing.WakeBatch? batch)
    {
        var count = Log.Count;
        foreach (var reader in _readers) reader.OnAppended(count, batch);
    }
}
