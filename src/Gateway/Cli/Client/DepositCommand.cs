using System.CommandLine;
using Exchange.Client.Protocol;

namespace Exchange.Gateway.Cli.Client;

/// <summary><c>exchange client deposit ACCOUNT AMOUNT</c>: credits an account (admin; <c>D</c>).</summary>
internal static class DepositCommand
{
    public static Command Build(ClientOptions options)
    {
        var account = CommonOptions.Number("account", "The account to credit.", 1);
        var amount = new Argument<string>("amount") { Description = "The amount in collateral units (USD with 6 decimals by default)." };
        var command = new Command("deposit", "Credit an account's balance (admin users).") { account, amount };
        command.SetAction((parse, _) =>
        {
            var c = options.Resolve(parse);
            var (to, money) = (AccountId(parse.GetValue(account)), c.Money(parse.GetValue(amount)!));
            return ClientSession.SendAsync(c, t => Inbound.DepositTo(t, to, money));
        });
        return command;
    }

    /// <summary>An account id the protocol can carry.</summary>
    public static uint AccountId(long id) =>
        id <= uint.MaxValue ? (uint)id : throw CommandLineException.Usage($"account '{id}' is not an account id");
}
