using System.CommandLine;
using Exchange.Client.Protocol;

namespace Exchange.Gateway.Cli.Client;

/// <summary><c>exchange client cancel --order ID | --token T</c>: cancels one order (<c>X</c>).</summary>
internal static class CancelCommand
{
    public static Command Build(ClientOptions options)
    {
        var order = CommonOptions.Number("--order", "The order id (from its 'accepted' line).", "id", 1, 0);
        var token = CommonOptions.Number("--token", "Or the token the order was entered with.", "token", 1, 0);
        var command = new Command("cancel", "Cancel one resting order, by order id or by the token it was entered with.") { order, token };
        command.Validators.Add(r =>
        {
            if (r.GetResult(order) is null && r.GetResult(token) is null) r.AddError("cancel needs --order ID or --token T.");
        });
        command.SetAction((parse, _) =>
        {
            var c = options.Resolve(parse);
            var (orderId, orderToken) = (parse.GetValue(order), (uint)Math.Min(parse.GetValue(token), uint.MaxValue));
            return ClientSession.SendAsync(c, t => Inbound.Cancel(t, c.Account, orderId, orderToken));
        });
        return command;
    }
}
