using System.CommandLine;
using Exchange.Client.Protocol;

namespace Exchange.Gateway.Cli.Client;

/// <summary><c>exchange client query [ACCOUNT]</c>: an account's state (<c>Q</c>).</summary>
internal static class QueryCommand
{
    public static Command Build(ClientOptions options)
    {
        var account = new Argument<long?>("account")
        {
            Description = "The account (default: the user's; an admin may ask for any; 0 = just the next token).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var command = new Command("query", "Print an account's balance, equity, margin, positions, ADL quintile and the next token.") { account };
        command.SetAction((parse, _) =>
        {
            var c = options.Resolve(parse);
            var whom = parse.GetValue(account) ?? c.Account;
            if (whom is < 0 or > uint.MaxValue) throw CommandLineException.Usage($"account '{whom}' is not an account id");
            return ClientSession.SendAsync(c, _ => Inbound.Query(0, (uint)whom));
        });
        return command;
    }
}
