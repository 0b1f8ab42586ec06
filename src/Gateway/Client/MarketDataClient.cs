using System.Net.Sockets;
using System.Text;
using Exchange.Gateway.Protocol;

namespace Exchange.Gateway.Client;

/// <summary>
/// A reader of the market-data session (docs/protocol.md section 12): SoupBinTCP login and heartbeats on the
/// market-data port, the late joiner's snapshot (unsequenced) and the order log (sequenced) fed into a
/// <see cref="BookBuilder"/> on the receive thread. Read the book through <see cref="Read{T}"/>.
/// </summary>
public sealed class MarketDataClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly BookBuilder _book = new();
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource<LoginResult> _login = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly List<MarketDataMessage> _history = [];
    private Task? _receiver;
    private Task? _heartbeats;
    private long _nextSequence;
    private string? _debug;

    private MarketDataClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>Completes when the connection is closed, by either side.</summary>
    public Task Closed => _closed.Task;

    /// <summary>The last Debug packet's text.</summary>
    public string? Debug => Volatile.Read(ref _debug);

    /// <summary>Keep every decoded message in <see cref="History"/> (tests).</summary>
    public bool KeepHistory { get; init; }

    public IReadOnlyList<MarketDataMessage> History
    {
        get
        {
            lock (_gate) return _history.ToArray();
        }
    }

    /// <summary>
    /// Connects to the market-data port and logs in: <paramref name="sequence"/> 0 = snapshot, then the order log live;
    /// N ≥ 1 = the order log from message N (no snapshot). Throws <see cref="InvalidOperationException"/> if rejected.
    /// </summary>
    public static async Task<MarketDataClient> LoginAsync(string host, int port, string username, string password, long sequence = 0,
        TimeSpan? timeout = null, bool keepHistory = false, int receiveBufferBytes = 0)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferBytes > 0) socket.ReceiveBufferSize = receiveBufferBytes;
        try
        {
            await socket.ConnectAsync(host, port).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var client = new MarketDataClient(socket) { KeepHistory = keepHistory };
        client._receiver = Task.Run(client.ReceiveAsync);
        var request = LoginCodec.Request(username, password, "", sequence);
        await client.SendPacketAsync(PacketType.LoginRequest, request).ConfigureAwait(false);
        var result = await client._login.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        if (!result.Accepted)
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"login rejected ({result.RejectReason}): {result.Debug}");
        }
        client._heartbeats = Task.Run(client.HeartbeatAsync);
        return client;
    }

    /// <summary>Reads the book under the receive thread's lock.</summary>
    public T Read<T>(Func<BookBuilder, T> read)
    {
        lock (_gate) return read(_book);
    }

    /// <summary>Waits until <paramref name="done"/> holds for the book, or throws <see cref="TimeoutException"/>.</summary>
    public async Task WaitUntilAsync(Func<BookBuilder, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Read(done))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the market data did not get there in time");
            if (_closed.Task.IsCompleted) throw new InvalidOperationException($"market-data connection closed: {Debug}");
            await Task.Delay(5).ConfigureAwait(false);
        }
    }

    public Task LogoutAsync() => SendPacketAsync(PacketType.LogoutRequest, default);

    private async Task SendPacketAsync(byte type, ReadOnlyMemory<byte> payload)
    {
        var packet = new byte[3 + payload.Length];
        packet[0] = (byte)((payload.Length + 1) >> 8);
        packet[1] = (byte)(payload.Length + 1);
        packet[2] = type;
        payload.Span.CopyTo(packet.AsSpan(3));
        await _write.WaitAsync().ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(packet).ConfigureAwait(false);
        }
        finally
        {
            _write.Release();
        }
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[64 * 1024];
        var filled = 0;
        try
        {
            while (true)
            {
                var n = await _stream.ReadAsync(buffer.AsMemory(filled), _stop.Token).ConfigureAwait(false);
                if (n == 0) break;
                filled += n;
                var offset = 0;
                lock (_gate)
                {
                    while (true)
                    {
                        var status = FrameDecoder.TryRead(buffer.AsSpan(offset, filled - offset), ushort.MaxValue, out var length);
                        if (status == FrameStatus.Incomplete) break;
                        if (status != FrameStatus.Complete) return;
                        Handle(buffer.AsSpan(offset + 2, length));
                        offset += 2 + length;
                    }
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
                _nextSequence = sequence;
                _login.TrySetResult(new LoginResult(true, '\0', session, sequence, Debug));
                break;
            case PacketType.LoginRejected:
                _login.TrySetResult(new LoginResult(false, payload.IsEmpty ? '?' : (char)payload[0], "", 0, Debug));
                break;
            case PacketType.SequencedData:
                Decoded(MarketDataMessage.Parse(_nextSequence++, false, payload));
                break;
            case PacketType.UnsequencedData:
                Decoded(MarketDataMessage.Parse(0, true, payload));
                break;
        }
    }

    private void Decoded(MarketDataMessage? m)
    {
        if (m is null) return;
        if (KeepHistory) _history.Add(m);
        _book.Apply(m);
    }

    private async Task HeartbeatAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(1000));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
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
