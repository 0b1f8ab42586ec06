using System.CommandLine;
using Exchange.Client.Protocol;

namespace Exchange.Gateway.Cli.Client;

/// <summary><c>exchange client withdraw ACCOUNT AMOUNT</c>: debits an account (admin; <c>W</c>).</summary>
internal static class WithdrawCommand
{
    public static Command Build(ClientOptions options)
    {
        var account = CommonOptions.Number("account", "The account to debit.", 1);
        var amount = new Argument<string>("amount") { Description = "The amount in collateral units; refused past the balance or the free margin." };
        var command = new Command("withdraw", "Debit an account's balance (admin users).") { account, amount };
        command.SetAction((parse, _) =>
        {
            var c = options.Resolve(parse);
            var (from, money) = (DepositCommand.AccountId(parse.GetValue(account)), c.Money(parse.GetValue(amount)!));
            return ClientSession.SendAsync(c, t => Inbound.WithdrawFrom(t, from, money));
        });
        return command;
    }
}
