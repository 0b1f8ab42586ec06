using System.CommandLine;
using Exchange.Client.Protocol;

namespace Exchange.Gateway.Cli.Client;

/// <summary><c>exchange client replace INSTRUMENT --order ID [--price P] [--qty Q]</c>: amends an order (<c>U</c>).</summary>
internal static class ReplaceCommand
{
    public static Command Build(ClientOptions options)
    {
        var instrument = ClientOptions.Instrument();
        var order = CommonOptions.Number("--order", "The order id (from its 'accepted' line).", "id", 1, 0);
        order.Required = true;
        var price = new Option<string?>("--price") { Description = "The new price (default: unchanged)." };
        var qty = new Option<string?>("--qty") { Description = "The new total quantity (default: unchanged). Priority is kept only when it shrinks at the same price." };
        var command = new Command("replace", "Amend a resting order's price or quantity.") { instrument, order, price, qty };
        command.SetAction((parse, _) =>
        {
            var c = options.Resolve(parse);
            var id = c.Instrument(parse.GetValue(instrument)!);
            var newPrice = parse.GetValue(price) is { } p ? c.Ticks(id, p) : 0;
            var newQty = parse.GetValue(qty) is { } q ? c.Lots(id, q) : 0;
            var orderId = parse.GetValue(order);
            return ClientSession.SendAsync(c, t => Inbound.Replace(t, c.Account, orderId, 0, newPrice, newQty));
        });
        return command;
    }
}
