using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Exchange.Client;

/// <summary>
/// One user keeping a window of commands in flight against a cluster, never giving one up: when its connection ends
/// (the leader died or was deposed, or nothing was answered for <see cref="Stall"/>) it logs in to the leader again
/// from the node list, in the same session and from the next sequence number it expects (the cluster's nodes continue
/// one session, docs/cluster.md), and resends, blindly and with the same tokens, every command it has no answer for.
/// The core deduplicates by token (docs/protocol.md section 7), so a resend never executes twice. The first message
/// carrying a command's token is its answer; each answer is kept with the time of the login it came on (Stopwatch
/// ticks).
/// </summary>
/// <param name="build">The message for a token.</param>
/// <param name="firstToken">The first token: after every token the user sent before.</param>
/// <param name="fromSequence">The first login's requested sequence number (0: from the next message).</param>
public sealed class ResendingFlow(IReadOnlyList<(string Host, int Port)> nodes, string user, string password,
    Func<uint, byte[]> build, int window, uint firstToken = 1, long fromSequence = 0)
{
    /// <summary>A connection that answers nothing for this long is given up and the leader looked up again.</summary>
    public static readonly TimeSpan Stall = TimeSpan.FromSeconds(5);

    private readonly List<(uint Token, byte[] Message)> _pending = [];
    private readonly List<(long At, long LoggedIn)> _answers = [];
    private ExchangeClient? _client;
    private long _loggedIn;
    private string _session = "";
    private long _next = fromSequence;
    private readonly List<ServerMessage> _received = [];

    /// <summary>Told each step of a lost connection and the login after it (<see cref="ExchangeClient.LoginToLeaderAsync"/>'s
    /// steps among them): for timelines.</summary>
    public Action<string>? Trace { get; init; }

    /// <summary>Keep every sequenced message received (<see cref="Received"/>); set before running.</summary>
    public bool KeepReceived { get; init; }

    /// <summary>Every sequenced message received, over every connection, in order (with <see cref="KeepReceived"/>):
    /// numbered on from the first login's, with no gap and no duplicate when the nodes continue the session.</summary>
    public IReadOnlyList<ServerMessage> Received
    {
        get
        {
            lock (_received) return _received.ToArray();
        }
    }

    /// <summary>The session the flow's logins continue (blank before the first).</summary>
    public string Session => _session;

    /// <summary>The sequence number of the next message the flow expects (where its next login asks to start).</summary>
    public long NextSequence => _next;
    private uint _nextToken = firstToken;

    /// <summary>How many commands to send in all (raise it to send more while running).</summary>
    public int Limit { get; set; } = int.MaxValue;

    /// <summary>Commands sent (each once, resends not counted).</summary>
    public int Sent { get; private set; }

    /// <summary>Logins after the first: one per lost connection.</summary>
    public int Relogins { get; private set; }

    /// <summary>Commands sent again after a lost connection.</summary>
    public int Resent { get; private set; }

    public int Answered
    {
        get
        {
            lock (_answers) return _answers.Count;
        }
    }

    /// <summary>The first answer received on a connection logged in at or after <paramref name="timestamp"/>, and that
    /// login, or null: answers the old leader sent before it died do not count, however late they are read.</summary>
    public (long At, long LoggedIn)? FirstAnswerAfter(long timestamp)
    {
        lock (_answers)
        {
            foreach (var answer in _answers)
                if (answer.LoggedIn >= timestamp) return answer;
        }
        return null;
    }

    /// <summary>Sends until <paramref name="stop"/> (or <see cref="Limit"/>), then until every command sent has its
    /// answer. Throws if no leader accepts the login for a minute, or a login is refused.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        try
        {
            while ((!stop.IsCancellationRequested && Sent < Limit) || _pending.Count > 0)
            {
                if (_client is null && (_client = await LoginAsync().ConfigureAwait(false)) is null) continue;
                try
                {
                    if (!stop.IsCancellationRequested && Sent < Limit && _pending.Count < window)
                    {
                        var token = _nextToken++;
                        var message = build(token);
                        _pending.Add((token, message));
                        Sent++;
                        await _client.SendAsync(message).ConfigureAwait(false);
                        continue;
                    }
                    var answer = await _client.ReceiveAsync(Stall).ConfigureAwait(false);
                    if (answer.Sequence != _next && _next > 0)
                        throw new SequenceGapException($"{user}: message {answer.Sequence} where {_next} was expected");
                    _next = answer.Sequence + 1;
                    if (KeepReceived)
                        lock (_received) _received.Add(answer);
                    var i = _pending.FindIndex(p => p.Token == answer.Token);
                    if (answer.Token == 0 || i < 0) continue;
                    _pending.RemoveAt(i);
                    lock (_answers) _answers.Add((Stopwatch.GetTimestamp(), _loggedIn));
                }
                catch (Exception e) when (IsLost(e))
                {
                    Trace?.Invoke($"connection lost ({e.GetType().Name}), {_pending.Count} without an answer");
                    await _client.DisposeAsync().ConfigureAwait(false);
                    _client = null;
                }
            }
        }
        finally
        {
            if (_client is not null) await _client.DisposeAsync().ConfigureAwait(false);
            _client = null;
        }
    }

    /// <summary>Logs in to the leader and resends what is pending; null when the new connection is lost at once.</summary>
    private async Task<ExchangeClient?> LoginAsync()
    {
        ExchangeClient client;
        try
        {
            client = await ExchangeClient.LoginToLeaderAsync(nodes, user, password, _next, _session, TimeSpan.FromSeconds(60), Trace)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            // Not a lost connection to retry: no leader for a minute, or a refused login.
            throw new InvalidOperationException($"{user}: {e.Message}", e);
        }
        _loggedIn = Stopwatch.GetTimestamp();
        _session = client.Session;
        if (_next > 0 && client.LoginSequence != _next)
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw new SequenceGapException(
                $"{user}: asked for message {_next} of session {_session}, the leader sends from {client.LoginSequence}");
        }
        if (_next == 0) _next = client.LoginSequence;
        if (Answered > 0 || _pending.Count > 0) Relogins++;
        Trace?.Invoke($"logged in from sequence {client.LoginSequence}; resending {_pending.Count}");
        try
        {
            foreach (var (_, message) in _pending)
            {
                await client.SendAsync(message).ConfigureAwait(false);
                Resent++;
            }
            return client;
        }
        catch (Exception e) when (IsLost(e))
        {
            await client.DisposeAsync().ConfigureAwait(false);
            return null;
        }
    }

    private static bool IsLost(Exception e) => e is TimeoutException or ChannelClosedException or IOException or SocketException
        or ObjectDisposedException or InvalidOperationException;
}

/// <summary>A node did not continue a session where its client asked (<see cref="ResendingFlow"/>): a gap or a
/// duplicate.</summary>
public sealed class SequenceGapException(string message) : Exception(message);
