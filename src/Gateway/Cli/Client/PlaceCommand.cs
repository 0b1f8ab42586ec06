using System.CommandLine;
using Exchange.Client.Protocol;

namespace Exchange.Gateway.Cli.Client;

/// <summary><c>exchange client place INSTRUMENT buy|sell QUANTITY [PRICE]</c>: enters an order (docs/protocol.md <c>O</c>).</summary>
internal static class PlaceCommand
{
    public static Command Build(ClientOptions options)
    {
        var instrument = ClientOptions.Instrument();
        var side = CommonOptions.OneOf(new Argument<string>("side") { Description = "buy or sell." }, "buy", "sell");
        var quantity = new Argument<string>("quantity") { Description = "The size in the instrument's units: a whole number of lots (BTC-PERP: 0.001)." };
        var price = new Argument<string?>("price") { Description = "The limit price (a whole number of ticks); none = a market order.", Arity = ArgumentArity.ZeroOrOne };
        var type = CommonOptions.OneOf(new Option<string?>("--type") { Description = "limit (default with a price) or market (default without)." },
            "limit", "market");
        var tif = CommonOptions.OneOf(new Option<string?>("--tif") { Description = "Time in force: gtc (limit default), ioc (market default) or fok." },
            "gtc", "ioc", "fok");
        var postOnly = new Option<bool>("--post-only") { Description = "Rest only: refused if it would trade." };
        var reduceOnly = new Option<bool>("--reduce-only") { Description = "Only reduce the position (IOC or FOK)." };
        var stp = CommonOptions.OneOf(
            new Option<string>("--stp") { Description = "Self-trade prevention: cancel the taker, the maker or both.", DefaultValueFactory = _ => "taker" },
            "taker", "maker", "both");
        var command = new Command("place", "Enter an order: a limit order with a price, a market order without.")
        {
            instrument, side, quantity, price, type, tif, postOnly, reduceOnly, stp,
        };
        command.SetAction((parse, _) =>
        {
            var c = options.Resolve(parse);
            var id = c.Instrument(parse.GetValue(instrument)!);
            var lots = c.Lots(id, parse.GetValue(quantity)!);
            var limit = parse.GetValue(price) is { } p ? c.Ticks(id, p) : 0;
            var market = (parse.GetValue(type) ?? (limit > 0 ? "limit" : "market")) == "market";
            if (!market && limit == 0) throw CommandLineException.Usage("a limit order needs a price");
            var orderType = (byte)(market ? 1 : 0);
            var timeInForce = (byte)Array.IndexOf<string>(["gtc", "ioc", "fok"], parse.GetValue(tif) ?? (market ? "ioc" : "gtc"));
            var mode = (byte)Array.IndexOf<string>(["taker", "maker", "both"], parse.GetValue(stp)!);
            var flags = (byte)((parse.GetValue(postOnly) ? Inbound.PostOnly : 0) | (parse.GetValue(reduceOnly) ? Inbound.ReduceOnly : 0));
            var buySell = (byte)(parse.GetValue(side) == "buy" ? 0 : 1);
            return ClientSession.SendAsync(c, t => Inbound.NewOrder(t, c.Account, id, buySell, orderType, timeInForce, flags, mode, limit, lots));
        });
        return command;
    }
}
