using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Text;
using Exchange.Client.Protocol;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Exchange.Gateway.Hosting;

/// <summary>
/// A cluster node's order-entry port, bound for the node's whole life (docs/cluster.md). While the node follows, every
/// connection is answered, once its Login Request is in (or the login timeout passed), with a Debug packet naming the
/// leader (<see cref="LeaderRefusal"/>) and Login Rejected <c>L</c>, then closed (docs/protocol.md section 1); nothing
/// of the exchange is read or written. While it leads, each new connection is handed to the term's
/// <see cref="GatewayServer"/> (<see cref="Leader"/>), which runs its session. The port never closes when the role
/// changes, so a new leader takes orders as soon as its pipeline runs: no listener is bound on the failover's path.
/// </summary>
internal sealed class OrderEntryPort : IAsyncDisposable
{
    private const int LoginPacket = 2 + 1 + PacketType.LoginRequestPayload;

    private readonly WebApplication _app;
    private readonly Func<IPEndPoint?> _leader;
    private readonly CancellationTokenSource _stop = new();
    private ListenOptions? _listen;
    private volatile GatewayServer? _server;

    private readonly Security.UserDirectory? _users;

    private OrderEntryPort(GatewayConfig config, Func<IPEndPoint?> leader, Action<ILoggingBuilder>? configureLogging,
        Security.UserDirectory? users)
    {
        _leader = leader;
        _users = users;
        LoginTimeout = TimeSpan.FromMilliseconds(config.Limits.LoginTimeoutMs);
        // The leader's sessions are admitted by its server (per address, per user); the port's connection cap bounds its
        // total, refused followers' connections included, as a single server's port is bounded.
        _app = KestrelPorts.Build(config, configureLogging, this, k =>
        {
            _listen = KestrelPorts.Listen<Handler>(k, config, config.Port);
        });
    }

    /// <summary>How long a refused connection may take to send its Login Request before it is answered anyway.</summary>
    public TimeSpan LoginTimeout { get; }

    /// <summary>The bound port, once started.</summary>
    public int Port { get; private set; }

    /// <summary>
    /// The term's server while this node leads and its pipeline runs (new connections are handed to it); null while it
    /// follows (new connections are refused). A connection already handed over stays with that server until it ends.
    /// </summary>
    public GatewayServer? Leader
    {
        get => _server;
        set => _server = value;
    }

    /// <summary>Binds the port; <paramref name="leader"/> is asked for each refusal. With <paramref name="users"/> (the
    /// node's, which its leaders' servers use), the password of each refused login is checked after the refusal, so the
    /// node knows it when it leads (<see cref="Security.UserDirectory.WarmAsync"/>).</summary>
    public static async Task<OrderEntryPort> StartAsync(GatewayConfig config, Func<IPEndPoint?> leader,
        Action<ILoggingBuilder>? configureLogging, CancellationToken cancel, Security.UserDirectory? users = null)
    {
        var port = new OrderEntryPort(config, leader, configureLogging, users);
        await port._app.StartAsync(cancel).ConfigureAwait(false);
        port.Port = KestrelPorts.BoundPort(port._listen, config.Port);
        return port;
    }

    private async Task RefuseAsync(ConnectionContext connection)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, connection.ConnectionClosed);
        timeout.CancelAfter(LoginTimeout);
        (string User, byte[] Password)? login = null;
        try
        {
            // Read what a Login Request takes; the answer is the same for everyone (its password is checked afterwards).
            try
            {
                var read = await connection.Transport.Input.ReadAtLeastAsync(LoginPacket, timeout.Token).ConfigureAwait(false);
                if (read.Buffer.Length < LoginPacket && read.IsCompleted) return; // the client went away
                if (_users is not null) login = ParseLogin(read.Buffer);
                connection.Transport.Input.AdvanceTo(read.Buffer.End);
            }
            catch (OperationCanceledException) when (!_stop.IsCancellationRequested && !connection.ConnectionClosed.IsCancellationRequested)
            {
                // The login timeout: answer anyway.
            }
            using var send = new CancellationTokenSource(1000);
            await connection.Transport.Output.WriteAsync(Refusal(_leader()), send.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException || Session.IsConnectionFailure(e))
        {
            // The client went away, or the node is stopping.
        }
        finally
        {
            if (login is { } l) _ = _users!.WarmAsync(l.User, l.Password);
        }
    }

    /// <summary>The user and password of a Login Request at the start of <paramref name="bytes"/>, or null.</summary>
    private static (string User, byte[] Password)? ParseLogin(ReadOnlySequence<byte> bytes)
    {
        Span<byte> packet = stackalloc byte[LoginPacket];
        bytes.Slice(0, LoginPacket).CopyTo(packet);
        try
        {
            if (BinaryPrimitives.ReadUInt16BigEndian(packet) != 1 + PacketType.LoginRequestPayload || packet[2] != PacketType.LoginRequest
                || !LoginCodec.TryParseRequest(packet[3..], out var user, out var password, out _, out _))
                return null;
            return (user, password);
        }
        finally
        {
            packet.Clear();
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
        _server = null;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private sealed class Handler(OrderEntryPort port) : ConnectionHandler
    {
        public override Task OnConnectedAsync(ConnectionContext connection) =>
            port.Leader is { } server ? server.RunConnectionAsync(connection) : port.RefuseAsync(connection);
    }
}
