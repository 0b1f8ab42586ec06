using System.Net.Sockets;
using System.Text;
using Exchange.Client.Protocol;

namespace Exchange.Client;

/// <summary>
/// The client side of one SoupBinTCP connection, shared by <see cref="ExchangeClient"/> and
/// <see cref="MarketDataClient"/>: the socket, framed writes under one lock, the receive loop that splits packets,
/// the login answer, Debug packets, client heartbeats and an orderly dispose. What a packet means beyond that is the
/// owner's, through <see cref="ISoupPacketHandler"/>.
/// </summary>
internal sealed class SoupConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly ISoupPacketHandler _handler;
    private readonly int _bufferBytes;
    private readonly Lock? _receiveGate;
    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly TaskCompletionSource<LoginResult> _login = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private Task? _receiver;
    private Task? _heartbeats;
    private long _lastSentMs = Environment.TickCount64;
    private string? _debug;
    private int _disposed;

    /// <param name="socket">A connected socket; the connection owns it from here on.</param>
    /// <param name="handler">The owner: told of login acceptance and of every other packet, on the receive thread.</param>
    /// <param name="bufferBytes">The receive buffer (at least one whole packet).</param>
    /// <param name="receiveGate">Held while the packets of one read are handled (lets the owner read consistent state).</param>
    public SoupConnection(Socket socket, ISoupPacketHandler handler, int bufferBytes, Lock? receiveGate = null)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _handler = handler;
        _bufferBytes = bufferBytes;
        _receiveGate = receiveGate;
    }

    /// <summary>Completes when the connection is closed, by either side.</summary>
    public Task Closed => _closed.Task;

    /// <summary>The last Debug packet's text (the server's reason for closing, usually).</summary>
    public string? Debug => Volatile.Read(ref _debug);

    /// <summary>The server's answer to the Login Request (rejected with no reason if the connection closes first).</summary>
    public Task<LoginResult> Login => _login.Task;

    /// <summary>Opens a TCP connection with Nagle off.</summary>
    public static async Task<Socket> ConnectAsync(string host, int port, int receiveBufferBytes, CancellationToken cancel)
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
        return socket;
    }

    public void StartReceiving() => _receiver = Task.Run(ReceiveAsync);

    /// <summary>Every <paramref name="tick"/>, a Client Heartbeat when <paramref name="due"/> (given ms since the last send) says so.</summary>
    public void StartHeartbeats(TimeSpan tick, Func<long, bool> due) => _heartbeats = Task.Run(() => HeartbeatAsync(tick, due));

    public Task SendPacketAsync(byte type, ReadOnlySpan<byte> payload)
    {
        var packet = new byte[3 + payload.Length];
        packet[0] = (byte)((payload.Length + 1) >> 8);
        packet[1] = (byte)(payload.Length + 1);
        packet[2] = type;
        payload.CopyTo(packet.AsSpan(3));
        return SendRawAsync(packet);
    }

    /// <summary>Writes bytes as they are, whole, never interleaved with another write.</summary>
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

    private async Task ReceiveAsync()
    {
        var buffer = new byte[_bufferBytes];
        var filled = 0;
        try
        {
            while (true)
            {
                var n = await _stream.ReadAsync(buffer.AsMemory(filled), _stop.Token).ConfigureAwait(false);
                if (n == 0) break;
                filled += n;
                int offset;
                bool framingError;
                if (_receiveGate is null)
                {
                    framingError = HandlePackets(buffer, filled, out offset);
                }
                else
                {
                    lock (_receiveGate) framingError = HandlePackets(buffer, filled, out offset);
                }
                if (framingError) return;
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
            _handler.OnClosed();
            _closed.TrySetResult();
        }
    }

    /// <summary>Handles the whole packets in <paramref name="buffer"/>; returns true on a framing error.</summary>
    private bool HandlePackets(byte[] buffer, int filled, out int offset)
    {
        offset = 0;
        while (true)
        {
            var status = FrameDecoder.TryRead(buffer.AsSpan(offset, filled - offset), ushort.MaxValue, out var length);
            if (status == FrameStatus.Incomplete) return false;
            if (status != FrameStatus.Complete) return true;
            Handle(buffer.AsSpan(offset + 2, length));
            offset += 2 + length;
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
                _handler.OnLoginAccepted(sequence);
                _login.TrySetResult(new LoginResult(true, '\0', session, sequence, Debug));
                break;
            case PacketType.LoginRejected:
                _login.TrySetResult(new LoginResult(false, payload.IsEmpty ? '?' : (char)payload[0], "", 0, Debug));
                break;
            default:
                _handler.OnPacket(packet[0], payload);
                break;
        }
    }

    private async Task HeartbeatAsync(TimeSpan tick, Func<long, bool> due)
    {
        using var timer = new PeriodicTimer(tick);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
                if (due(Environment.TickCount64 - Volatile.Read(ref _lastSentMs)))
                    await SendPacketAsync(PacketType.ClientHeartbeat, default).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Closed.
        }
    }

    /// <summary>Closes the connection; a second call does nothing (as .NET's disposal contract asks).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
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

/// <summary>What a <see cref="SoupConnection"/>'s owner is told, on the receive thread, in the order packets arrive.</summary>
internal interface ISoupPacketHandler
{
    /// <summary>Login Accepted, before the packets after it: <paramref name="sequence"/> is the next sequenced message's number.</summary>
    void OnLoginAccepted(long sequence);

    /// <summary>Any packet other than Debug and the login answers.</summary>
    void OnPacket(byte type, ReadOnlySpan<byte> payload);

    /// <summary>The connection closed (after the last packet).</summary>
    void OnClosed();
}
