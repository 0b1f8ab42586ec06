using System.CommandLine;

namespace Exchange.Gateway.Cli.Client;

/// <summary><c>exchange client book INSTRUMENT</c>: a live depth ladder from the market-data port (docs/protocol.md section 12).</summary>
internal static class BookCommand
{
    public static Command Build(ClientOptions options)
    {
        var instrument = ClientOptions.Instrument();
        var depth = CommonOptions.Number("--depth", "Price levels shown on each side.", "levels", 1, 10);
        var forMs = CommonOptions.Number("--for", "Stop after this long (default: until Ctrl-C).", "ms", 0, 0);
        var port = CommonOptions.Port("--md-port", "The market-data port (default: the configuration's, or --port + 1).");
        var snapshotPort = CommonOptions.Port("--snapshot-port", "The snapshot port (default: the configuration's, or --port + 4).");
        var command = new Command("book",
            "A live depth ladder: asks above bids, the last trade and the mark; redrawn when it changes (in place on a terminal), until Ctrl-C.")
        {
            instrument, depth, forMs, port, snapshotPort,
        };
        command.SetAction((parse, _) =>
        {
            var c = options.Resolve(parse);
            var id = c.Instrument(parse.GetValue(instrument)!);
            var terminal = ReferenceEquals(c.Output, Console.Out) && !Console.IsOutputRedirected;
            return BookLadder.RunAsync(c, parse.GetValue(port) ?? c.MarketDataPort, parse.GetValue(snapshotPort) ?? c.SnapshotPort, id, (int)Math.Min(parse.GetValue(depth), 1000),
                parse.GetValue(forMs), terminal);
        });
        return command;
    }
}
