using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Exchange.Client.Protocol;

namespace Exchange.Gateway.Hosting;

/// <summary>
/// A cluster follower's order-entry port: it takes no orders, so every connection is answered, once its Login Request
/// is in (or the login timeout passed), with a Debug packet naming the leader (<see cref="LeaderRefusal"/>) and Login
/// Rejected <c>L</c>, then closed (docs/protocol.md section 1). Nothing of the exchange is read or written.
/// </summary>
internal sealed class FollowerGate : IAsyncDisposable
{
    private const int LoginPacket = 2 + 1 + PacketType.LoginRequestPayload;

    private readonly TcpListener _listener;
    private readonly Func<IPEndPoint?> _leader;
    private readonly TimeSpan _loginTimeout;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _open;

    private FollowerGate(TcpListener listener, Func<IPEndPoint?> leader, TimeSpan loginTimeout, int maxConnections)
    {
        _listener = listener;
        _leader = leader;
        _loginTimeout = loginTimeout;
        MaxConnections = maxConnections;
        _accepting = AcceptAsync();
    }

    /// <summary>Connections answered at once, at most; more are closed without an answer.</summary>
    public int MaxConnections { get; }

    /// <summary>Listens on <paramref name="endPoint"/>; <paramref name="leader"/> is asked for each refusal.</summary>
    public static FollowerGate Start(IPEndPoint endPoint, Func<IPEndPoint?> leader, TimeSpan loginTimeout, int maxConnections)
    {
        var listener = new TcpListener(endPoint);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        return new FollowerGate(listener, leader, loginTimeout, maxConnections);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            if (Interlocked.Increment(ref _open) > MaxConnections)
            {
                Interlocked.Decrement(ref _open);
                socket.Dispose();
                continue;
            }
            _ = RefuseAsync(socket);
        }
    }

    private async Task RefuseAsync(Socket socket)
    {
        try
        {
            using (socket)
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token))
            {
                timeout.CancelAfter(_loginTimeout);
                // Read what a Login Request takes; its content does not matter, the answer is the same for everyone.
                var buffer = new byte[LoginPacket];
                var read = 0;
                try
                {
                    while (read < LoginPacket)
                    {
                        var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                        if (n == 0) return;
                        read += n;
                    }
                }
                catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
                {
                    // The login timeout: answer anyway.
                }
                await socket.SendAsync(Refusal(_leader()), SocketFlags.None, _stop.Token).ConfigureAwait(false);
                socket.Shutdown(SocketShutdown.Both);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away, or the gate is closing.
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }

    /// <summary>The two packets of a refusal: Debug with <see cref="LeaderRefusal.Text"/>, then Login Rejected <c>L</c>.</summary>
    internal static byte[] Refusal(IPEndPoint? leader)
    {
        var text = Encoding.ASCII.GetBytes(LeaderRefusal.Text(leader));
        var bytes = new byte[3 + text.Length + 4];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)(1 + text.Length));
        bytes[2] = PacketType.Debug;
        text.CopyTo(bytes, 3);
        var j = 3 + text.Length;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(j), 2);
        bytes[j + 2] = PacketType.LoginRejected;
        bytes[j + 3] = PacketType.NotLeader;
        return bytes;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _accepting.ConfigureAwait(false);
        _stop.Dispose();
    }
}
