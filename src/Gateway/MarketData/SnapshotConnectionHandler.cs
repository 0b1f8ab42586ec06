using Exchange.Gateway.Hosting;
using Exchange.Gateway.Sessions;
using Microsoft.AspNetCore.Connections;

namespace Exchange.Gateway.MarketData;

/// <summary>
/// Kestrel's entry point on the snapshot port (GLIMPSE-style, docs/protocol.md section 12): a read-only
/// <see cref="Session"/> that sends one snapshot of the books as sequenced messages, then End of Session.
/// </summary>
internal sealed class SnapshotConnectionHandler(GatewayContext context) : ConnectionHandler
{
    public override Task OnConnectedAsync(ConnectionContext connection) =>
        GatewayConnectionHandler.RunAsync(context, connection, SessionKind.Snapshot);
}
