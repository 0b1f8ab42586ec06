using System.CommandLine;
using Exchange.Client.Protocol;

namespace Exchange.Gateway.Cli.Client;

/// <summary><c>exchange client funding INSTRUMENT PPM</c>: applies funding at a rate (price feed; <c>F</c>).</summary>
internal static class FundingCommand
{
    public static Command Build(ClientOptions options)
    {
        var instrument = ClientOptions.Instrument();
        var rate = CommonOptions.Number("rate", "The funding rate in parts per million of the notional at the mark (longs pay when positive).", long.MinValue);
        var command = new Command("funding", "Apply funding to every position in an instrument (price feed users).") { instrument, rate };
        command.SetAction((parse, _) =>
        {
            var c = options.Resolve(parse);
            var id = c.Instrument(parse.GetValue(instrument)!);
            var ppm = parse.GetValue(rate);
            return ClientSession.SendAsync(c, t => Inbound.FundingRate(t, id, ppm));
        });
        return command;
    }
}
