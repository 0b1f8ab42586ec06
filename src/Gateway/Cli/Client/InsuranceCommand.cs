using System.CommandLine;
using Exchange.Client.Protocol;

namespace Exchange.Gateway.Cli.Client;

/// <summary><c>exchange client insurance AMOUNT</c>: deposits into the insurance fund (admin; <c>I</c>).</summary>
internal static class InsuranceCommand
{
    public static Command Build(ClientOptions options)
    {
        var amount = new Argument<string>("amount") { Description = "The amount in collateral units." };
        var command = new Command("insurance", "Deposit into the insurance fund (admin users).") { amount };
        command.SetAction((parse, _) =>
        {
            var c = options.Resolve(parse);
            var money = c.Money(parse.GetValue(amount)!);
            return ClientSession.SendAsync(c, t => Inbound.Insurance(t, money));
        });
        return command;
    }
}
