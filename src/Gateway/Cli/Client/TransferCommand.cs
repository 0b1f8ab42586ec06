using System.CommandLine;
using Exchange.Client.Protocol;

namespace Exchange.Gateway.Cli.Client;

/// <summary>
/// <c>exchange client deposit ACCOUNT AMOUNT</c> (admin; <c>D</c>) and <c>exchange client withdraw ACCOUNT AMOUNT</c>
/// (admin; <c>W</c>): the two admin transfers, which differ only in their words and their message.
/// </summary>
internal static class TransferCommand
{
    public static Command Deposit(ClientOptions options) =>
        Build(options, "deposit", "Credit an account's balance (admin users).", "The account to credit.",
            "The amount in collateral units (USD with 6 decimals by default).", Inbound.DepositTo);

    public static Command Withdraw(ClientOptions options) =>
        Build(options, "withdraw", "Debit an account's balance (admin users).", "The account to debit.",
            "The amount in collateral units; refused past the balance or the free margin.", Inbound.WithdrawFrom);

    private static Command Build(ClientOptions options, string name, string description, string accountDescription,
        string amountDescription, Func<uint, uint, long, byte[]> message)
    {
        var account = CommonOptions.Number("account", accountDescription, 1);
        var amount = new Argument<string>("amount") { Description = amountDescription };
        var command = new Command(name, description) { account, amount };
        command.SetAction((parse, _) =>
        {
            var c = options.Resolve(parse);
            var (id, money) = (AccountId(parse.GetValue(account)), c.Money(parse.GetValue(amount)!));
            return ClientSession.SendAsync(c, t => message(t, id, money));
        });
        return command;
    }

    /// <summary>An account id the protocol can carry.</summary>
    private static uint AccountId(long id) =>
        id <= uint.MaxValue ? (uint)id : throw CommandLineException.Usage($"account '{id}' is not an account id");
}
