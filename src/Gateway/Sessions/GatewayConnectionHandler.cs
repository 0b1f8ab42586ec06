using System.Buffers.Binary;
using System.Net;
using System.Text;
using Exchange.Client.Protocol;
using Exchange.Gateway.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Exchange.Gateway.Sessions;

/// <summary>Kestrel's entry point for each accepted TCP connection: runs one <see cref="Session"/> to its end.</summary>
internal sealed class GatewayConnectionHandler(GatewayContext context) : ConnectionHandler
{
    public override Task OnConnectedAsync(ConnectionContext connection) => RunAsync(context, connection, SessionKind.OrderEntry);

    /// <summary>
    /// Every port's connection: bounds the socket's send buffer, admits it (<see cref="ConnectionAdmission"/>) or
    /// refuses it with the reason, and runs its session.
    /// </summary>
    internal static async Task RunAsync(GatewayContext context, ConnectionContext connection, SessionKind kind)
    {
        LimitSendBuffer(context, connection);
        var address = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        if (!context.Admission.TryAdmit(address, out var reason))
        {
            await RefuseAsync(connection, reason).ConfigureAwait(false);
            return;
        }
        var session = new Session(context, connection, kind);
        try
        {
            await session.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            context.Admission.Closed(address, session.CountedLoggedIn);
        }
    }

    private static async Task RefuseAsync(ConnectionContext connection, string reason)
    {
        var text = Encoding.ASCII.GetBytes(reason);
        var packet = new byte[3 + text.Length];
        BinaryPrimitives.WriteUInt16BigEndian(packet, (ushort)(1 + text.Length));
        packet[2] = PacketType.Debug;
        text.CopyTo(packet, 3);
        using var timeout = new CancellationTokenSource(1000);
        try
        {
            await connection.Transport.Output.WriteAsync(packet, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (Session.IsConnectionFailure(e))
        {
            // Gone already, or not reading: it is closed either way.
        }
        await connection.Transport.Output.CompleteAsync().ConfigureAwait(false);
    }

    internal static void LimitSendBuffer(GatewayContext context, ConnectionContext connection)
    {
        var sendBuffer = context.Limits.SocketSendBufferBytes;
        if (sendBuffer > 0 && connection.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket)
            socket.SendBufferSize = sendBuffer;
    }
}
