using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Exchange.Gateway.Protocol;

namespace Exchange.Gateway.Client;

/// <summary>
/// A client of the order entry protocol (docs/protocol.md): one TCP connection, SoupBinTCP login and heartbeats, typed
/// senders for every inbound message, and the sequenced messages decoded into <see cref="ServerMessage"/>s. Tokens come
/// from <see cref="NextToken"/>, which each sender uses and increments.
/// </summary>
public sealed class ExchangeClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly Channel<ServerMessage> _messages = Channel.CreateUnbounded<ServerMessage>();
    private readonly TaskCompletionSource<LoginResult> _login = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<ServerMessage> _history = [];
    private Task? _receiver;
    private Task? _heartbeats;
    private long _nextSequence;
    private long _lastSentMs = Environment.TickCount64;
    private string? _debug;

    private ExchangeClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>The token the next command will carry (1 at first; set it from a query's next expected token).</summary>
    public uint NextToken { get; set; } = 1;

    /// <summary>Send a client heartbeat after a second without sending (on by default).</summary>
    public bool SendHeartbeats { get; set; } = true;

    /// <summary>The sequence number the next Sequenced Data packet will have.</summary>
    public long NextSequence => Interlocked.Read(ref _nextSequence);

    /// <summary>The last Debug packet's text (the server's reason for closing, usually).</summary>
    public string? Debug => Volatile.Read(ref _debug);

    /// <summary>The server said End of Session.</summary>
    public bool EndOfSession { get; private set; }

    /// <summary>Server heartbeats received.</summary>
    public int Heartbeats { get; private set; }

    /// <summary>Completes when the connection is closed, by either side.</summary>
    public Task Closed => _closed.Task;

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
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferBytes > 0) socket.ReceiveBufferSize = receiveBufferBytes;
        try
        {
            await socket.ConnectAsync(host, port, cancel).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var client = new ExchangeClient(socket);
        client._receiver = Task.Run(client.ReceiveAsync);
        return client;
    }

    /// <summary>Connects and logs in; throws <see cref="InvalidOperationException"/> if the login is rejected.</summary>
    public static async Task<ExchangeClient> LoginAsync(string host, int port, string username, string password,
        long sequence = 1, TimeSpan? timeout = null)
    {
        var client = await ConnectAsync(host, port).ConfigureAwait(false);
        var result = await client.LoginAsync(username, password, sequence, "", timeout).ConfigureAwait(false);
        if (result.Accepted) return client;
        await client.DisposeAsync().ConfigureAwait(false);
        throw new InvalidOperationException($"login rejected ({result.RejectReason}): {result.Debug}");
    }

    /// <summary>Sends a Login Request and waits for the answer (then starts heartbeats if accepted).</summary>
    public async Task<LoginResult> LoginAsync(string username, string password, long sequence = 1, string session = "",
        TimeSpan? timeout = null)
    {
        await SendPacketAsync(PacketType.LoginRequest, LoginCodec.Request(username, password, session, sequence)).ConfigureAwait(false);
        var result = await _login.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        if (result.Accepted) _heartbeats = Task.Run(HeartbeatAsync);
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

    public Task SendPacketAsync(byte type, ReadOnlySpan<byte> payload)
    {
        var packet = new byte[3 + payload.Length];
        packet[0] = (byte)((payload.Length + 1) >> 8);
        packet[1] = (byte)(payload.Length + 1);
        packet[2] = type;
        payload.CopyTo(packet.AsSpan(3));
        return SendRawAsync(packet);
    }

    /// <summary>Writes bytes as they are (tests of hostile input use this).</summary>
    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes)
    {
        await _write.WaitAsync().ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(bytes).ConfigureAwait(false);
            Volatile.Write(ref _lastSentMs, Environment.TickCount64);
        }
        finally
        {
            _write.Release();
        }
    }

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

    public Task<uint> InsuranceAsync(long amount) => Send(t => Inbound.Insurance(t, amount));

    /// <summary>Sends a Logout Request; the server closes the connection.</summary>
    public Task LogoutAsync() => SendPacketAsync(PacketType.LogoutRequest, default);

    private async Task<uint> Send(Func<uint, byte[]> build)
    {
        var token = NextToken++;
        await SendAsync(build(token)).ConfigureAwait(false);
        return token;
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[160 * 1024];
        var filled = 0;
        try
        {
            while (true)
            {
                var n = await _stream.ReadAsync(buffer.AsMemory(filled), _stop.Token).ConfigureAwait(false);
                if (n == 0) break;
                filled += n;
                var offset = 0;
                while (true)
                {
                    var status = FrameDecoder.TryRead(buffer.AsSpan(offset, filled - offset), ushort.MaxValue, out var length);
                    if (status == FrameStatus.Incomplete) break;
                    if (status != FrameStatus.Complete) return;
                    Handle(buffer.AsSpan(offset + 2, length));
                    offset += 2 + length;
                }
                Buffer.BlockCopy(buffer, offset, buffer, 0, filled - offset);
                filled -= offset;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Closed.
        }
        finally
        {
            _login.TrySetResult(new LoginResult(false, '\0', "", 0, Debug));
            _messages.Writer.TryComplete();
            _closed.TrySetResult();
        }
    }

    private void Handle(ReadOnlySpan<byte> packet)
    {
        var payload = packet[1..];
        switch (packet[0])
        {
            case PacketType.Debug:
                Volatile.Write(ref _debug, Encoding.ASCII.GetString(payload));
                break;
            case PacketType.LoginAccepted:
                LoginCodec.TryParseAccepted(payload, out var session, out var sequence);
                Interlocked.Exchange(ref _nextSequence, sequence);
                _login.TrySetResult(new LoginResult(true, '\0', session, sequence, Debug));
                break;
            case PacketType.LoginRejected:
                _login.TrySetResult(new LoginResult(false, payload.IsEmpty ? '?' : (char)payload[0], "", 0, Debug));
                break;
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

    private async Task HeartbeatAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
                if (SendHeartbeats && Environment.TickCount64 - Volatile.Read(ref _lastSentMs) >= 1000)
                    await SendPacketAsync(PacketType.ClientHeartbeat, default).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Closed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already closed.
        }
        await _stream.DisposeAsync().ConfigureAwait(false);
        if (_receiver is not null) await _receiver.ConfigureAwait(false);
        if (_heartbeats is not null) await _heartbeats.ConfigureAwait(false);
        _stop.Dispose();
        _write.Dispose();
    }
}
