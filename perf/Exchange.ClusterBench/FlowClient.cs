using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Channels;
using Exchange.Client;

namespace Exchange.ClusterBench;

/// <summary>
/// One user keeping <c>window</c> commands in flight against the cluster; when the connection ends it logs in to the
/// leader again from the node list and resends every command it has no answer for (same tokens). The first message
/// carrying a command's token is its answer; each answer is kept with the time of the login it came on.
/// </summary>
internal sealed class FlowClient(IReadOnlyList<(string Host, int Port)> nodes, string user, Func<uint, byte[]> build, int window)
{
    private readonly List<(uint Token, byte[] Message)> _pending = [];
    private readonly List<(long At, long LoggedIn)> _answers = [];
    private ExchangeClient? _client;
    private long _loggedIn;
    private uint _nextToken = 1;
    private int _sent;

    public int Limit { get; set; } = int.MaxValue;

    public int Answered
    {
        get
        {
            lock (_answers) return _answers.Count;
        }
    }

    /// <summary>The first answer on a connection logged in at or after <paramref name="timestamp"/>, and that login.</summary>
    public (long At, long LoggedIn)? FirstAnswerAfter(long timestamp)
    {
        lock (_answers)
        {
            for (var i = _answers.Count - 1; i >= 0 && _answers[i].LoggedIn >= timestamp; i--)
                if (i == 0 || _answers[i - 1].LoggedIn < timestamp) return _answers[i];
        }
        return null;
    }

    public async Task RunAsync(CancellationToken stop)
    {
        try
        {
            while ((!stop.IsCancellationRequested && _sent < Limit) || _pending.Count > 0)
            {
                try
                {
                    _client ??= await LoginAsync();
                    if (!stop.IsCancellationRequested && _sent < Limit && _pending.Count < window)
                    {
                        var token = _nextToken++;
                        var message = build(token);
                        _pending.Add((token, message));
                        _sent++;
                        await _client.SendAsync(message);
                        continue;
                    }
                    var answer = await _client.ReceiveAsync(TimeSpan.FromSeconds(5));
                    var i = _pending.FindIndex(p => p.Token == answer.Token);
                    if (answer.Token == 0 || i < 0) continue;
                    _pending.RemoveAt(i);
                    lock (_answers) _answers.Add((Stopwatch.GetTimestamp(), _loggedIn));
                }
                catch (Exception e) when (e is TimeoutException or ChannelClosedException or IOException or SocketException
                                              or ObjectDisposedException)
                {
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
            client = await ExchangeClient.LoginToLeaderAsync(nodes, user, user + "-pw", 0, "", TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException e)
        {
            throw new InvalidOperationException($"{user}: {e.Message}", e);
        }
        _loggedIn = Stopwatch.GetTimestamp();
        try
        {
            foreach (var (_, message) in _pending) await client.SendAsync(message);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
        return client;
    }
}
