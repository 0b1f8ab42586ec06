using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Channels;
using Exchange.Client;

namespace Exchange.Gateway.Tests.Support;

/// <summary>
/// A client that keeps a window of commands in flight against a cluster and never gives one up: when its connection
/// ends (the leader died or was deposed) it logs in to the leader again from the node list and resends, blindly and
/// with the same tokens, every command it has no answer for. The first message carrying a command's token is its
/// answer.
/// </summary>
/// <param name="firstToken">The first token: after every token the user sent before (the core deduplicates by them).</param>
internal sealed class ResendingClient(IReadOnlyList<(string Host, int Port)> nodes, string user, Func<uint, byte[]> build, int window,
    uint firstToken = 1)
{
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(5);
    private readonly List<(uint Token, byte[] Message)> _pending = [];
    private readonly List<(long At, long LoggedIn)> _answeredAt = [];
    private ExchangeClient? _client;
    private long _loggedIn;
    private uint _nextToken = firstToken;

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
            lock (_answeredAt) return _answeredAt.Count;
        }
    }

    /// <summary>The first answer received on a connection logged in after <paramref name="timestamp"/> (Stopwatch
    /// ticks), or null: answers the old leader sent before it died do not count, however late they are read.</summary>
    public long? FirstAnswerAfter(long timestamp)
    {
        lock (_answeredAt)
        {
            foreach (var (at, loggedIn) in _answeredAt)
                if (loggedIn >= timestamp) return at;
        }
        return null;
    }

    /// <summary>Sends until <paramref name="stop"/>, then until every command sent has its answer.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested || _pending.Count > 0)
            {
                try
                {
                    _client ??= await LoginAsync();
                    if (!stop.IsCancellationRequested && _pending.Count < window)
                    {
                        var token = _nextToken++;
                        var message = build(token);
                        _pending.Add((token, message));
                        Sent++;
                        await _client.SendAsync(message);
                        continue;
                    }
                    var answer = await _client.ReceiveAsync(Stall);
                    var i = _pending.FindIndex(p => p.Token == answer.Token);
                    if (answer.Token == 0 || i < 0) continue;
                    _pending.RemoveAt(i);
                    lock (_answeredAt) _answeredAt.Add((Stopwatch.GetTimestamp(), _loggedIn));
                }
                catch (Exception e) when (e is TimeoutException or ChannelClosedException or IOException or SocketException
                                              or ObjectDisposedException or InvalidOperationException)
                {
                    // The connection is gone (or answers nothing for seconds): start over with the leader.
                    if (_client is not null) await _client.DisposeAsync();
                    _client = null;
                }
            }
        }
        finally
        {
            if (_client is not null) await _client.DisposeAsync();
            _client = null;
        }
    }

    private async Task<ExchangeClient> LoginAsync()
    {
        ExchangeClient client;
        try
        {
            client = await ExchangeClient.LoginToLeaderAsync(nodes, user, TestServer.Password(user), 0, "", TimeSpan.FromSeconds(60));
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            // Not a lost connection to retry: no leader for a minute, or a refused login, fails the test.
            throw new Xunit.Sdk.XunitException($"{user}: {e.Message}");
        }
        _loggedIn = Stopwatch.GetTimestamp();
        if (_answeredAt.Count > 0 || _pending.Count > 0) Relogins++;
        try
        {
            foreach (var (_, message) in _pending)
            {
                await client.SendAsync(message);
                Resent++;
            }
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
        return client;
    }
}
