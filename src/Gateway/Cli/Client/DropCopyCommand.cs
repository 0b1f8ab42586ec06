using System.CommandLine;

namespace Exchange.Gateway.Cli.Client;

/// <summary><c>exchange client dropcopy [--from N]</c>: the drop copy of the user's group (docs/protocol.md section 13).</summary>
internal static class DropCopyCommand
{
    public static Command Build(ClientOptions options)
    {
        var from = CommonOptions.Number("--from", "Start at this sequence number (1 = everything this session; default 0 = new executions only).", "seq", 0, 0);
        var count = CommonOptions.Number("--count", "Stop after printing this many executions (default: until Ctrl-C).", "n", 0, 0);
        var forMs = CommonOptions.Number("--for", "Stop after this long (default: until Ctrl-C).", "ms", 0, 0);
        var port = CommonOptions.Port("--dc-port", "The drop-copy port (default: the configuration's, or --port + 2).");
        var command = new Command("dropcopy",
            "Print every execution of the accounts in the user's drop-copy group as it happens (demo: user desk, accounts 1 to 3), until Ctrl-C.")
        {
            from, count, forMs, port,
        };
        command.SetAction((parse, _) =>
        {
            var c = options.Resolve(parse);
            return ClientSession.FollowAsync(c, parse.GetValue(port) ?? c.DropCopyPort, "drop copy", "the group's drop copy",
                parse.GetValue(from), parse.GetValue(count), parse.GetValue(forMs), new MessageFormatter(c.Units, showAccount: true));
        });
        return command;
    }
}
