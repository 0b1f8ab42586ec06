using Exchange.Core;
using Exchange.Core.Commands;
using Exchange.Core.Instruments;
using FsCheck;
using FsCheck.Fluent;

namespace Exchange.Testing;

public static partial class Generators
{
    private const long WhaleTickValueA = 10;
    private const long WhaleTickValueB = 500;

    /// <summary>
    /// Insolvent whales inside a cascade (issue 19), the case the random scenarios never build: two or three
    /// accounts short instrument A with notionals of 5e12-2e13 units (past 2^62 / 1e6) and long instrument B, a
    /// trader long A and far more leveraged long B, and a market maker on the other side of everything. A falls a
    /// little (the shorts' pnl is positive), then B crashes 25-40% in one command: the trader goes first (lowest
    /// E / MM) and its A long is deleveraged against the whales while their equity is negative, so their ADL scores
    /// are pnl x notional x 1e6, which only an exact comparison ranks.
    /// </summary>
    public static Gen<Scenario> InsolventWhales(LossPolicy policy) =>
        from whales in Gen.Choose(2, 3)
        from markA in Long(250_000, 400_000)
        from markB in Long(80_000, 160_000)
        from imr in Gen.Elements(50_000L, 100_000L)
        from liquidationFee in Long(0, 10_000)
        from shorts in Gen.ListOf(Long(2_000_000, 5_000_000), whales)
        from hedges in Gen.ListOf(Long(100, 150), whales)
        from slacks in Gen.ListOf(Long(5, 50), whales)
        from traderLots in Long(200_000, 2_000_000)
        from traderHedge in Long(3, 6)
        from insurance in Gen.Frequency((50, Gen.Constant(0L)), (50, Long(1, 1_000_000_000)))
        from fall in Long(1, 20)
        from drop in Long(250, 400)
        select WhaleScenario(policy, markA, markB, imr, liquidationFee, shorts.ToList(), hedges.ToList(), slacks.ToList(),
            traderLots, traderHedge, insurance, fall, drop);

    public static Arbitrary<Scenario> InsolventWhaleScenarios(LossPolicy policy) => Arb.From(InsolventWhales(policy));

    private static Scenario WhaleScenario(LossPolicy policy, long markA, long markB, long imr, long liquidationFee,
        List<long> shorts, List<long> hedges, List<long> slacks, long traderLots, long traderHedge, long insurance,
        long fall, long drop)
    {
        var a = WhaleSpec("WHALE-A", WhaleTickValueA, imr, liquidationFee, maxPrice: 4_000_000, maxLots: 1L << 25);
        var b = WhaleSpec("WHALE-B", WhaleTickValueB, imr, liquidationFee, maxPrice: 2_000_000, maxLots: 1L << 23);
        var whales = shorts.Count;
        var trader = whales;
        var maker = whales + 1;
        long LotsOfB(long notional) => notional / (markB * WhaleTickValueB);
        long Margin(long notional) => notional * imr / 1_000_000;
        var longs = new long[whales];
        var steps = new List<Intent>
        {
            new(IntentKind.MarkTo, Instrument: 0, X: markA),
            new(IntentKind.MarkTo, Instrument: 1, X: markB),
        };
        for (var w = 0; w < whales; w++)
        {
            var notionalA = shorts[w] * markA * WhaleTickValueA;
            longs[w] = LotsOfB(notionalA * hedges[w] / 100);
            // Just above the initial margin of both legs: a B crash of 25% or more leaves the whale's equity negative.
            var im = Margin(notionalA) + Margin(longs[w] * markB * WhaleTickValueB);
            steps.Add(new Intent(IntentKind.Deposit, w, Y: im * (1000 + slacks[w]) / 1000 + 1));
        }
        var traderLong = LotsOfB(traderLots * markA * WhaleTickValueA * traderHedge);
        var traderIm = Margin(traderLots * markA * WhaleTickValueA) + Margin(traderLong * markB * WhaleTickValueB);
        steps.Add(new Intent(IntentKind.Deposit, trader, Y: traderIm * 101 / 100 + 1));
        steps.Add(new Intent(IntentKind.Deposit, maker, Y: 100_000_000_000_000));
        if (insurance > 0) steps.Add(new Intent(IntentKind.InsuranceDeposit, Y: insurance));
        for (var w = 0; w < whales; w++) steps.Add(Exact(w, 0, Side.Sell, markA, shorts[w], TimeInForce.Gtc));
        steps.Add(Exact(trader, 0, Side.Buy, markA, traderLots, TimeInForce.Ioc));
        steps.Add(Exact(maker, 0, Side.Buy, markA, shorts.Sum() - traderLots, TimeInForce.Ioc));
        steps.Add(Exact(maker, 1, Side.Sell, markB, longs.Sum() + traderLong, TimeInForce.Gtc));
        for (var w = 0; w < whales; w++) steps.Add(Exact(w, 1, Side.Buy, markB, longs[w], TimeInForce.Ioc));
        steps.Add(Exact(trader, 1, Side.Buy, markB, traderLong, TimeInForce.Ioc));
        steps.Add(new Intent(IntentKind.MarkTo, Instrument: 0, X: markA * (1000 - fall) / 1000));
        steps.Add(new Intent(IntentKind.MarkTo, Instrument: 1, X: markB * (1000 - drop) / 1000));
        return new Scenario(new ExchangeOptions { Policy = policy }, [a, b], [markA, markB], whales + 2, steps);
    }

    private static Intent Exact(int account, int instrument, Side side, long ticks, long lots, TimeInForce tif) =>
        new(IntentKind.ExactOrder, account, instrument, side, OrderType.Limit, tif, X: ticks, Y: lots);

    private static InstrumentSpec WhaleSpec(string name, long tickValue, long imr, long liquidationFee, long maxPrice, long maxLots) => new()
    {
        Name = name, TickValue = tickValue, ImrPpm = imr, MmrPpm = imr / 2, MakerFeePpm = 0, TakerFeePpm = 0,
        LiquidationFeePpm = liquidationFee, BandPpm = 100_000, LiquidationBandPpm = 75_000,
        MaxPrice = maxPrice, MaxOrderLots = maxLots, MaxPositionLots = maxLots,
    };
}
