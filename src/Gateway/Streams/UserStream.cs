using Exchange.Client.Protocol;
using Exchange.Gateway.Protocol;
using Exchange.Gateway.Security;
using Exchange.Gateway.Sessions;

namespace Exchange.Gateway.Streams;

/// <summary>
/// One user's side of the session: its log of sequenced messages, its client order token state and the connections
/// reading it. Everything but <see cref="Log"/> reads is guarded by <see cref="Gate"/>; no code holds two streams'
/// gates at once.
/// </summary>
internal sealed class UserStream(User user)
{
    public readonly Lock Gate = new();
    public User User { get; } = user;
    public MessageLog Log { get; } = new();

    private readonly List<Session> _readers = [];
    private readonly Queue<uint> _inFlight = new();
    private readonly Dictionary<uint, int> _outcomes = new();
    private Dictionary<uint, int>? _waiting;
    private uint _highest;

    /// <summary>Commands published for this user / reported back by the exchange (guarded by <see cref="Gate"/>).</summary>
    public long Published { get; private set; }
    public long Completed { get; private set; }

    // Scratch of the output thread while it handles one command (see OutboundRouter).
    internal long NotifyBy = -1;

    /// <summary>The highest token seen; read without the lock by the answer to an admin's query of this account.</summary>
    public uint HighestToken => Volatile.Read(ref _highest);

    /// <summary>At start-up after a restart (see Hosting/TokenRecovery): tokens up to this one are not new.</summary>
    public void RestoreHighest(uint token)
    {
        lock (Gate) Volatile.Write(ref _highest, Math.Max(_highest, token));
    }

    public TokenState Classify(uint token, out int outcome)
    {
        outcome = 0;
        if (token > _highest) return TokenState.New;
        if (_outcomes.TryGetValue(token, out outcome)) return TokenState.Known;
        foreach (var t in _inFlight)
            if (t == token) return TokenState.InFlight;
        return TokenState.Unknown;
    }

    /// <summary>A command with this token was published.</summary>
    public void Begin(uint token)
    {
        Volatile.Write(ref _highest, token);
        _inFlight.Enqueue(token);
        Published++;
    }

    /// <summary>A duplicate of an in-flight token: its outcome will be sent once more.</summary>
    public void AddWaiter(uint token)
    {
        _waiting ??= new Dictionary<uint, int>();
        _waiting[token] = _waiting.GetValueOrDefault(token) + 1;
    }

    /// <summary>The exchange reported the command: remember its outcome and answer duplicates that waited for it.</summary>
    public void Complete(uint token, int outcome)
    {
        // Commands of one user are published under this lock in token order and reported in publish order.
        if (_inFlight.Count > 0 && _inFlight.Peek() == token) _inFlight.Dequeue();
        Completed++;
        if (outcome <= 0) return;
        _outcomes[token] = outcome;
        if (_waiting is not null && _waiting.Remove(token, out var copies))
            for (var i = 0; i < copies; i++) AppendCopy(outcome);
    }

    public void RecordOutcome(uint token, int outcome) => _outcomes[token] = outcome;

    public void AppendCopy(int sequence) => Log.Append(Log.Get(sequence));

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
