using System.CommandLine;

namespace Exchange.Gateway.Cli.Client;

/// <summary>
/// <c>exchange client</c>: one command per run from a shell. Each logs in (sequence 0: live messages only), learns the
/// next token with an account-0 query, sends, prints what comes back in human units, and logs out. A new subcommand is
/// one file here with a <c>Build(ClientOptions)</c> and one line below.
/// </summary>
internal static class ClientCommand
{
    public static Command Build()
    {
        var options = new ClientOptions();
        var command = new Command("client", "Talk to a running server from a shell, in human units (prices, sizes and amounts as decimals).");
        options.AddTo(command);
        command.Subcommands.Add(LoginCommand.Build(options));
        command.Subcommands.Add(PlaceCommand.Build(options));
        command.Subcommands.Add(ReplaceCommand.Build(options));
        command.Subcommands.Add(CancelCommand.Build(options));
        command.Subcommands.Add(CancelAllCommand.Build(options));
        command.Subcommands.Add(QueryCommand.Build(options));
        command.Subcommands.Add(WatchCommand.Build(options));
        command.Subcommands.Add(BookCommand.Build(options));
        command.Subcommands.Add(DropCopyCommand.Build(options));
        command.Subcommands.Add(MarkCommand.Build(options));
        command.Subcommands.Add(ResumeCommand.Build(options));
        command.Subcommands.Add(FundingCommand.Build(options));
        command.Subcommands.Add(TransferCommand.Deposit(options));
        command.Subcommands.Add(TransferCommand.Withdraw(options));
        command.Subcommands.Add(InsuranceCommand.Build(options));
        return command;
    }
}
