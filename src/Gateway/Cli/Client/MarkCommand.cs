using System.CommandLine;
using Exchange.Client.Protocol;

namespace Exchange.Gateway.Cli.Client;

/// <summary><c>exchange client mark INSTRUMENT PRICE</c>: sets a mark price (price feed; <c>P</c>).</summary>
internal static class MarkCommand
{
    public static Command Build(ClientOptions options)
    {
        var instrument = ClientOptions.Instrument();
        var price = new Argument<string>("price") { Description = "The mark price (a whole number of ticks)." };
        var command = new Command("mark", "Set an instrument's mark price (price feed users).") { instrument, price };
        command.SetAction((parse, _) =>
        {
            var c = options.Resolve(parse);
            var id = c.Instrument(parse.GetValue(instrument)!);
            var ticks = c.Ticks(id, parse.GetValue(price)!);
            return ClientSession.SendAsync(c, t => Inbound.Mark(t, id, ticks));
        });
        return command;
    }
}
