using System.Net.Sockets;
using System.Threading.Channels;
using Exchange.Client.Protocol;

namespace Exchange.Client;

/// <summary>
/// A client of the order entry protocol (docs/protocol.md): one TCP connection, SoupBinTCP login and heartbeats, typed
/// senders for every inbound message, and the sequenced messages decoded into <see cref="ServerMessage"/>s. Tokens come
/// from <see cref="NextToken"/>, which each sender uses and increments.
/// </summary>
public sealed class ExchangeClient : IAsyncDisposable, ISoupPacketHandler
{
    private readonly SoupConnection _connection;
    private readonly Channel<ServerMessage> _messages = Channel.CreateUnbounded<ServerMessage>();
    private readonly List<ServerMessage> _history = [];
    private long _nextSequence;

    private ExchangeClient(Socket socket) => _connection = new SoupConnection(socket, this, bufferBytes: 160 * 1024);

    /// <summary>The token the next command will carry (1 at first; set it from a query's next expected token).</summary>
    public uint NextToken { get; set; } = 1;

    /// <summary>Send a client heartbeat after a second without sending (on by default).</summary>
    public bool SendHeartbeats { get; set; } = true;

    /// <summary>The session id the server accepted the login in (blank before): log in again with it, and
    /// <see cref="NextSequence"/>, to go on where this connection stopped (after a cluster's failover too).</summary>
    public string Session { get; private set; } = "";

    /// <summary>The sequence number Login Accepted named: the first message this connection receives (0 before).</summary>
    public long LoginSequence { get; private set; }

    /// <summary>The sequence number the next Sequenced Data packet will have.</summary>
    public long NextSequence => Interlocked.Read(ref _nextSequence);

    /// <summary>The last Debug packet's text (the server's reason for closing, usually).</summary>
    public string? Debug => _connection.Debug;

    /// <summary>The server said End of Session.</summary>
    public bool EndOfSession { get; private set; }

    /// <summary>Server heartbeats received.</summary>
    public int Heartbeats { get; private set; }

    /// <summary>Completes when the connection is closed, by either side.</summary>
    public Task Closed => _connection.Closed;

    /// <summary>Every sequenced message received so far, in order.</summary>
    public IReadOnlyList<ServerMessage> History
    {
        get
        {
            lock (_history) return _history.ToArray();
        }
    }

    public static async Task<ExchangeClient> ConnectAsync(string host, int port, CancellationToken cancel = default,
        int receiveBufferBytes = 0)
    {
        var socket = await SoupConnection.ConnectAsync(host, port, receiveBufferBytes, cancel).ConfigureAwait(false);
        var client = new ExchangeClient(socket);
        client._connection.StartReceiving();
        return client;
    }

    /// <summary>
    /// Connects and logs in, following a cluster follower's refusal to the leader it names; throws
    /// <see cref="InvalidOperationException"/> if the login is rejected otherwise.
    /// </summary>
    public static Task<ExchangeClient> LoginAsync(string host, int port, string username, string password,
        long sequence = 1, TimeSpan? timeout = null) =>
        LoginToLeaderAsync([(host, port)], username, password, sequence, "", timeout);

    /// <summary>
    /// Logs in to the leader of a cluster (docs/cluster.md): tries the nodes in turn, follows a follower's refusal
    /// (Login Rejected <c>L</c>) to the leader it names, and while an election is on (no leader named, or no node
    /// answering) tries again until <paramref name="timeout"/> (10 s by default) has passed. A single server is a
    /// cluster of one. After a failover, call it again with the same nodes, the session (<see cref="Session"/>) and the
    /// next sequence number expected (<see cref="NextSequence"/>): every node continues the cluster's one session
    /// (docs/cluster.md), so the new leader sends every message from there, with no gap and no duplicate.
    /// </summary>
    /// <param name="trace">Told each step (a connection tried, refused, sent on, a pause, the login): for timelines.</param>
    /// <exception cref="InvalidOperationException">The login was rejected for another reason.</exception>
    /// <exception cref="TimeoutException">No leader accepted the login in time.</exception>
    public static async Task<ExchangeClient> LoginToLeaderAsync(IReadOnlyList<(string Host, int Port)> nodes, string username,
        string password, long sequence = 1, string session = "", TimeSpan? timeout = null, Action<string>? trace = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(nodes.Count);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        (string Host, int Port)? named = null;
        string? last = null;
        // While no node names a leader (an election is on), rounds over the nodes back off from 10 ms to 100 ms, so a
        // new leader is found within a few ms of its taking orders early in an election without hammering the nodes.
        // A round tries every node of the list: after a leader dies its followers go on naming it until their election
        // timers fire, and following a name to an address that refused a connection in this round would take the turn
        // of the list's next node (which may be the new leader) every time.
        var pause = 10;
        var turn = 0;
        var tried = 0;
        var down = new List<(string Host, int Port)>();
        while (DateTime.UtcNow < deadline)
        {
            (string Host, int Port) node;
            if (named is { } follow)
                node = follow;
            else
            {
                node = nodes[turn++ % nodes.Count];
                tried++;
            }
            var (host, port) = node;
            named = null;
            ExchangeClient? client = null;
            try
            {
                trace?.Invoke($"connect {host}:{port}");
                client = await ConnectAsync(host, port).ConfigureAwait(false);
                var left = deadline - DateTime.UtcNow;
                var result = await client.LoginAsync(username, password, sequence, session,
                    left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1)).ConfigureAwait(false);
                if (result.Accepted)
                {
                    trace?.Invoke($"login accepted at {host}:{port}");
                    return client;
                }
                trace?.Invoke($"refused at {host}:{port}: {result.Debug ?? "closed before the answer"}");
                await client.DisposeAsync().ConfigureAwait(false);
                client = null;
                if (!result.NotLeader && result.RejectReason != '\0')
                    throw new InvalidOperationException($"login rejected ({result.RejectReason}): {result.Debug}");
                last = result.Debug ?? "connection closed before the login answer";
                if (result.Leader is { } leader)
                {
                    (string Host, int Port) to = (leader.Address.ToString(), leader.Port);
                    // A node that names itself has just been elected and is starting to take orders: give it a moment.
                    if (to == node) await Task.Delay(5).ConfigureAwait(false);
                    if (to == node || !down.Contains(to)) named = to;
                }
            }
            catch (Exception e) when (e is SocketException or IOException or TimeoutException)
            {
                last = e.Message;
                trace?.Invoke($"failed at {host}:{port}: {e.Message}");
                down.Add(node);
                if (client is not null) await client.DisposeAsync().ConfigureAwait(false);
            }
            if (named is null && tried >= nodes.Count)
            {
                trace?.Invoke($"pause {pause} ms");
                await Task.Delay(pause).ConfigureAwait(false);
                pause = Math.Min(100, pause * 2);
                tried = 0;
                down.Clear();
            }
        }
        throw new TimeoutException($"no leader accepted the login in time (last: {last})");
    }

    /// <summary>Sends a Login Request and waits for the answer (then starts heartbeats if accepted).</summary>
    public async Task<LoginResult> LoginAsync(string username, string password, long sequence = 1, string session = "",
        TimeSpan? timeout = null)
    {
        await SendPacketAsync(PacketType.LoginRequest, LoginCodec.Request(username, password, session, sequence)).ConfigureAwait(false);
        var result = await _connection.Login.WaitAsync(timeout ?? TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        if (result.Accepted) (Session, LoginSequence) = (result.Session.Trim(), result.NextSequence);
        // A heartbeat after a second without sending, checked four times a second.
        if (result.Accepted) _connection.StartHeartbeats(TimeSpan.FromMilliseconds(250), idleMs => SendHeartbeats && idleMs >= 1000);
        return result;
    }

    /// <summary>The next sequenced message, or <see cref="TimeoutException"/>; <see cref="ChannelClosedException"/> once closed.</summary>
    public async Task<ServerMessage> ReceiveAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            return await _messages.Reader.ReadAsync(cancel.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no message within {timeout.TotalMilliseconds} ms");
        }
    }

    /// <summary>Reads messages until one matches (the others are skipped; all stay in <see cref="History"/>).</summary>
    public async Task<ServerMessage> WaitForAsync(Func<ServerMessage, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException("the expected message did not arrive");
            var m = await ReceiveAsync(left).ConfigureAwait(false);
            if (match(m)) return m;
        }
    }

    /// <summary>Sends one application message in an Unsequenced Data packet.</summary>
    public Task SendAsync(byte[] message) => SendPacketAsync(PacketType.UnsequencedData, message);

    public Task SendPacketAsync(byte type, ReadOnlySpan<byte> payload) => _connection.SendPacketAsync(type, payload);

    /// <summary>Writes bytes as they are (tests of hostile input use this).</summary>
    public Task SendRawAsync(ReadOnlyMemory<byte> bytes) => _connection.SendRawAsync(bytes);

    public async Task<uint> PlaceAsync(int account, int instrument, byte side, long price, long quantity, byte orderType = 0,
        byte tif = 0, byte flags = 0, byte stp = 0)
    {
        var token = NextToken++;
        await SendAsync(Inbound.NewOrder(token, (uint)account, instrument, side, orderType, tif, flags, stp, price, quantity)).ConfigureAwait(false);
        return token;
    }

    public Task<uint> ReplaceAsync(int account, long orderId, uint orderToken, long price, long quantity) =>
        Send(t => Inbound.Replace(t, (uint)account, orderId, orderToken, price, quantity));

    public Task<uint> CancelAsync(int account, long orderId, uint orderToken = 0) =>
        Send(t => Inbound.Cancel(t, (uint)account, orderId, orderToken));

    public Task<uint> CancelAllAsync(int account, int instrument = -1) => Send(t => Inbound.CancelAllOrders(t, (uint)account, instrument));

    /// <summary>Queries an account (token 0: queries are not subject to the token rules).</summary>
    public Task QueryAsync(int account, uint token = 0) => SendAsync(Inbound.Query(token, (uint)account));

    public Task<uint> MarkAsync(int instrument, long price) => Send(t => Inbound.Mark(t, instrument, price));

    public Task<uint> FundingAsync(int instrument, long ratePpm) => Send(t => Inbound.FundingRate(t, instrument, ratePpm));

    public Task<uint> DepositAsync(int account, long amount) => Send(t => Inbound.DepositTo(t, (uint)account, amount));

    public Task<uint> WithdrawAsync(int account, long amount) => Send(t => Inbound.WithdrawFrom(t, (uint)account, amount));

    public Task<uint> ResumeAsync(int instrument) => Send(t => Inbound.Resume(t, instrument));

    public Task<uint> InsuranceAsync(long amount) => Send(t => Inbound.Insurance(t, amount));

    /// <summary>Sends a Logout Request; the server closes the connection.</summary>
    public Task LogoutAsync() => SendPacketAsync(PacketType.LogoutRequest, default);

    private async Task<uint> Send(Func<uint, byte[]> build)
    {
        var token = NextToken++;
        await SendAsync(build(token)).ConfigureAwait(false);
        return token;
    }

    void ISoupPacketHandler.OnLoginAccepted(long sequence) => Interlocked.Exchange(ref _nextSequence, sequence);

    void ISoupPacketHandler.OnPacket(byte type, ReadOnlySpan<byte> payload)
    {
        switch (type)
        {
            case PacketType.SequencedData:
                var seq = Interlocked.Increment(ref _nextSequence) - 1;
                var m = ServerMessage.Parse(seq, payload) ?? new ServerMessage { Sequence = seq, Type = '?', Raw = payload.ToArray() };
                lock (_history) _history.Add(m);
                _messages.Writer.TryWrite(m);
                break;
            case PacketType.ServerHeartbeat:
                Heartbeats++;
                break;
            case PacketType.EndOfSession:
                EndOfSession = true;
                break;
        }
    }

    void ISoupPacketHandler.OnClosed() => _messages.Writer.TryComplete();

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
