using Exchange.Gateway.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Exchange.Gateway.Sessions;

/// <summary>Kestrel's entry point for each accepted TCP connection: runs one <see cref="Session"/> to its end.</summary>
internal sealed class GatewayConnectionHandler(GatewayContext context) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        LimitSendBuffer(context, connection);
        await new Session(context, connection, SessionKind.OrderEntry).RunAsync().ConfigureAwait(false);
    }

    internal static void LimitSendBuffer(GatewayContext context, ConnectionContext connection)
    {
        var sendBuffer = context.Limits.SocketSendBufferBytes;
        if (sendBuffer > 0 && connection.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket)
            socket.SendBufferSize = sendBuffer;
    }
}
