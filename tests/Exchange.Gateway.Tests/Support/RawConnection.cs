using System.Net.Sockets;
using Exchange.Client.Protocol;
using Exchange.Gateway.Protocol;

namespace Exchange.Gateway.Tests.Support;

/// <summary>A bare TCP connection for hostile-input tests: send any bytes, read packets, see when the server closes.</summary>
internal sealed class RawConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly List<byte> _received = [];

    private RawConnection(Socket socket) => _socket = socket;

    public static async Task<RawConnection> ConnectAsync(int port, int receiveBufferBytes = 0)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferBytes > 0) socket.ReceiveBufferSize = receiveBufferBytes;
        await socket.ConnectAsync("127.0.0.1", port);
        return new RawConnection(socket);
    }

    public async Task SendAsync(params byte[] bytes) => await _socket.SendAsync(bytes);

    public Task SendPacketAsync(byte type, params byte[] payload)
    {
        var packet = new byte[3 + payload.Length];
        packet[0] = (byte)((payload.Length + 1) >> 8);
        packet[1] = (byte)(payload.Length + 1);
        packet[2] = type;
        payload.CopyTo(packet, 3);
        return SendAsync(packet);
    }

    public Task LoginAsync(string user, long sequence = 1) =>
        SendPacketAsync(PacketType.LoginRequest, LoginCodec.Request(user, TestServer.Password(user), "", sequence));

    /// <summary>Reads until the server closes the connection or the timeout passes; true if it closed.</summary>
    public async Task<bool> ReadUntilClosedAsync(TimeSpan timeout)
    {
        var buffer = new byte[64 * 1024];
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var n = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token);
                if (n == 0) return true;
                _received.AddRange(buffer.AsSpan(0, n).ToArray());
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    /// <summary>Reads until a packet of the given type arrives after the last one returned; null on timeout or close.</summary>
    public async Task<byte[]?> ReadPacketAsync(byte type, TimeSpan timeout)
    {
        var buffer = new byte[64 * 1024];
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            var packets = Packets();
            for (var i = _next; i < packets.Count; i++)
                if (packets[i][0] == type)
                {
                    _next = i + 1;
                    return packets[i];
                }
            try
            {
                var n = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token);
                if (n == 0) return null;
                _received.AddRange(buffer.AsSpan(0, n).ToArray());
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                return null;
            }
        }
    }

    private int _next;

    /// <summary>Every complete packet received so far (type byte and payload each).</summary>
    public List<byte[]> Packets()
    {
        var packets = new List<byte[]>();
        var bytes = _received.ToArray().AsSpan();
        while (FrameDecoder.TryRead(bytes, ushort.MaxValue, out var length) == FrameStatus.Complete)
        {
            packets.Add(bytes.Slice(2, length).ToArray());
            bytes = bytes[(2 + length)..];
        }
        return packets;
    }

    public string? LastDebug()
    {
        var debug = Packets().LastOrDefault(p => p[0] == PacketType.Debug);
        return debug is null ? null : System.Text.Encoding.ASCII.GetString(debug, 1, debug.Length - 1);
    }

    public void Dispose() => _socket.Dispose();
}
