using Exchange.Gateway.Hosting;
using Exchange.Gateway.Sessions;
using Microsoft.AspNetCore.Connections;

namespace Exchange.Gateway.MarketData;

/// <summary>Kestrel's entry point on the drop-copy port: a read-only <see cref="Session"/> on its user's drop-copy group.</summary>
internal sealed class DropCopyConnectionHandler(GatewayContext context) : ConnectionHandler
{
    public override Task OnConnectedAsync(ConnectionContext connection) =>
        GatewayConnectionHandler.RunAsync(context, connection, SessionKind.DropCopy);
}
