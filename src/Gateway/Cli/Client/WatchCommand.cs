using System.CommandLine;

namespace Exchange.Gateway.Cli.Client;

/// <summary><c>exchange client watch [--from N]</c>: the user's stream of messages, until Ctrl-C.</summary>
internal static class WatchCommand
{
    public static Command Build(ClientOptions options)
    {
        var from = CommonOptions.Number("--from", "Start at this sequence number (1 = everything this session; default 0 = new messages only).", "seq", 0, 0);
        var count = CommonOptions.Number("--count", "Stop after printing this many messages (default: until Ctrl-C).", "n", 0, 0);
        var forMs = CommonOptions.Number("--for", "Stop after this long (default: until Ctrl-C).", "ms", 0, 0);
        var command = new Command("watch", "Print the user's messages (fills, cancels, balance updates, ...) as they come, until Ctrl-C.") { from, count, forMs };
        command.SetAction((parse, _) =>
        {
            var c = options.Resolve(parse);
            return ClientSession.FollowAsync(c, c.Port, "order entry", $"{c.User}'s stream", parse.GetValue(from), parse.GetValue(count), parse.GetValue(forMs),
                new MessageFormatter(c.Units));
        });
        return command;
    }
}
