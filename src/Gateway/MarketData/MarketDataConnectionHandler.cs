using Exchange.Gateway.Hosting;
using Exchange.Gateway.Sessions;
using Microsoft.AspNetCore.Connections;

namespace Exchange.Gateway.MarketData;

/// <summary>Kestrel's entry point on the market-data port: a read-only <see cref="Session"/> on the order log.</summary>
internal sealed class MarketDataConnectionHandler(GatewayContext context) : ConnectionHandler
{
    public override Task OnConnectedAsync(ConnectionContext connection) =>
        GatewayConnectionHandler.RunAsync(context, connection, SessionKind.MarketData);
}
