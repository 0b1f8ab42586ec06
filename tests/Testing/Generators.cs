using Exchange.Core;
using Exchange.Core.Commands;
using Exchange.Core.Instruments;
using FsCheck;
using FsCheck.Fluent;

namespace Exchange.Testing;

/// <summary>
/// FsCheck generators of whole scenarios: 1-3 small instruments with high leverage, 2-8 funded accounts, an insurance
/// fund that is often empty, and hundreds of steps: orders of every type, TIF, flag and STP mode priced near the mark
/// (so they trade), amends and cancels of real and plausible ids, cancel-alls, a mark random walk with crashes and
/// gaps of 10-40%, funding, deposits, withdrawals, and a few invalid commands. Shrinking removes steps.
/// </summary>
public static partial class Generators
{
    private static Gen<long> Long(long min, long max) => Gen.Choose((int)min, (int)max).Select(x => (long)x);

    private static Gen<T> Pick<T>(params (int Weight, T Value)[] choices) =>
        Gen.Frequency(choices.Select(c => (c.Weight, Gen.Constant(c.Value))));

    public static Gen<InstrumentSpec> Instrument(int index) =>
        from tickValue in Gen.Elements(1L, 2L, 5L, 10L, 25L, 50L, 100L)
        from mark in Long(1_000, 100_000)
        from imr in Long(50_000, 200_000)
        from mmrPercent in Long(30, 80)
        from maker in Long(-100, 200)
        from taker in Long(Math.Abs(maker), 700)
        from liquidationFee in Gen.Frequency((30, Gen.Constant(0L)), (70, Long(0, 20_000)))
        from band in Long(20_000, 150_000)
        from liquidationBand in Long(5_000, 100_000)
        from maxOrder in Gen.Frequency((85, Gen.Constant(1_000_000L)), (15, Long(20, 200)))
        from maxPosition in Gen.Frequency((85, Gen.Constant(10_000_000L)), (15, Long(50, 500)))
        // A circuit breaker on a third of the instruments, tight enough that crashes and gaps trip it.
        from breakerBand in Gen.Frequency((67, Gen.Constant(0L)), (33, Long(20_000, 200_000)))
        from breakerWindow in Gen.Choose(1, 8)
        select new InstrumentSpec
        {
            Name = $"I{index}-{mark}", TickValue = tickValue, ImrPpm = imr, MmrPpm = Math.Max(1, imr * mmrPercent / 100),
            MakerFeePpm = maker, TakerFeePpm = taker, LiquidationFeePpm = liquidationFee, BandPpm = band,
            LiquidationBandPpm = liquidationBand, MaxPrice = mark * 20, MaxOrderLots = maxOrder, MaxPositionLots = maxPosition,
            BreakerBandPpm = breakerBand, BreakerWindow = breakerWindow,
        };

    /// <summary>The instrument's starting mark is encoded in its name (I{index}-{mark}), so specs and marks shrink together.</summary>
    private static long InitialMark(InstrumentSpec spec) => long.Parse(spec.Name[(spec.Name.IndexOf('-') + 1)..]);

    public static Gen<Scenario> Scenario(LossPolicy policy, int minSteps, int maxSteps) =>
        from instrumentCount in Gen.Choose(1, 3)
        from specs in Gen.CollectToList(Enumerable.Range(0, instrumentCount).Select(Instrument))
        from accounts in Gen.Choose(2, 8)
        from maxOrders in Gen.Frequency((80, Gen.Constant(1000)), (20, Gen.Choose(3, 12)))
        from maxFunding in Gen.Elements(100_000L, 250_000L)
        // Tiny capacities and spread-out account ids drive the core through its growth paths.
        from tiny in Gen.Frequency((80, Gen.Constant(false)), (20, Gen.Constant(true)))
        from orderCapacity in Gen.Choose(1, 8)
        from levelCapacity in Gen.Choose(1, 4)
        from stride in Gen.Frequency((85, Gen.Constant(1)), (15, Gen.Choose(100, 400)))
        let notional = InitialMark(specs[0]) * specs[0].TickValue
        from deposits in Gen.CollectToList(Enumerable.Range(0, accounts).Select(_ => Long(1, 30)))
        from insurance in Gen.Frequency((5, Gen.Constant(0L)), (5, Long(1, 20)))
        from steps in Gen.Choose(minSteps, maxSteps)
        from opening in Gen.Frequency((40, Gen.Constant(new List<Intent>())), (60, Squeeze(maxFunding)))
        from blocks in Gen.ListOf(Block(accounts, notional), steps)
        select new Scenario(
            new ExchangeOptions
            {
                Policy = policy, MaxOpenOrdersPerAccount = maxOrders, MaxFundingRatePpm = maxFunding,
                AccountCapacity = tiny ? 2 : 1024, OrderCapacity = tiny ? orderCapacity : 65_536, LevelCapacity = tiny ? levelCapacity : 1024,
            },
            specs,
            specs.Select(InitialMark).ToList(),
            accounts,
            Setup(specs, deposits, insurance * notional / 10, notional).Concat(opening).Concat(blocks.SelectMany(b => b)).Take(steps + specs.Count + accounts + 1).ToList(),
            stride);

    private static IEnumerable<Intent> Setup(List<InstrumentSpec> specs, List<long> deposits, long insurance, long notional)
    {
        for (var i = 0; i < specs.Count; i++) yield return new Intent(IntentKind.MarkTo, Instrument: i, X: InitialMark(specs[i]));
        for (var a = 0; a < deposits.Count; a++) yield return new Intent(IntentKind.Deposit, Account: a, Y: deposits[a] * notional);
        if (insurance > 0) yield return new Intent(IntentKind.InsuranceDeposit, Y: insurance);
    }

    /// <summary>Mostly single steps; sometimes a pattern that single random steps rarely line up: a crash (accounts pull
    /// their orders, then the mark gaps, so the book cannot absorb liquidations and ADL runs), a burst of resting
    /// liquidity, a trend with late entrants, two accounts levering up against each other, or heavy funding.</summary>
    public static Gen<List<Intent>> Block(int accounts, long notional) =>
        Gen.Frequency(
            (78, Step(notional).Select(s => new List<Intent> { s })),
            (5, Crash(accounts)),
            (7, from k in Gen.Choose(2, 6) from burst in Gen.ListOf(Liquidity(), k) select burst.ToList()),
            (3, Trend()),
            (5, LeverageUp()),
            (2, FundingSqueeze()));

    /// <summary>Two accounts trade with each other at nearly all the margin they have: high leverage, so that the next
    /// mark moves liquidate.</summary>
    private static Gen<List<Intent>> LeverageUp() =>
        from maker in Gen.Choose(0, 7)
        from instrument in Gen.Choose(0, 2)
        from side in Gen.Elements(Side.Buy, Side.Sell)
        from size in Long(800_000, 1_000_000)
        from takerType in OrderTypes()
        select new List<Intent>
        {
            new(IntentKind.Order, maker, instrument, side, OrderType.Limit, TimeInForce.Gtc, X: 0, Y: size),
            // The next account (never the maker itself, whatever the account count).
            new(IntentKind.Order, maker + 1, instrument, side == Side.Buy ? Side.Sell : Side.Buy, takerType, TimeInForce.Ioc,
                X: side == Side.Buy ? -1_000 : 1_000, Y: size),
        };

    /// <summary>Two accounts open at the mark with all they have, then funding drains the payer past zero before anyone
    /// holds a profit: a bankruptcy with nothing to haircut, which the exchange must absorb.</summary>
    private static Gen<List<Intent>> Squeeze(long maxRate) =>
        from open in LeverageUp()
        from rate in Long(maxRate / 2, maxRate)
        from sign in Gen.Elements(1L, -1L)
        select new List<Intent> { open[0], open[1] with { Type = OrderType.Limit },
            new(IntentKind.Funding, Instrument: open[0].Instrument, X: sign * rate) };

    /// <summary>Heavy funding in one direction: the payers lose cash while nobody gains unrealized profit, so a payer
    /// that goes bankrupt has few (or no) haircut weights behind it.</summary>
    private static Gen<List<Intent>> FundingSqueeze() =>
        from instrument in Gen.Choose(0, 2)
        from sign in Gen.Elements(1L, -1L)
        from count in Gen.Choose(1, 4)
        from rates in Gen.ListOf(Long(20_000, 250_000), count)
        select rates.Select(r => new Intent(IntentKind.Funding, Instrument: instrument, X: sign * r)).ToList();

    /// <summary>A drift in one direction while traders take profit and others enter late: the winners' unrealized
    /// profit then falls short of the losers' losses, which is what leaves socialized losses to the exchange.</summary>
    private static Gen<List<Intent>> Trend() =>
        from instrument in Gen.Choose(0, 2)
        from direction in Gen.Elements(1L, -1L)
        from legs in Gen.Choose(2, 5)
        from steps in Gen.ListOf(
            from move in Long(5_000, 30_000)
            from closer in CloseOrder()
            from entrant in Order()
            from liquidity in Liquidity()
            from rate in Long(0, 60_000)
            select new[]
            {
                liquidity with { Instrument = instrument },
                new Intent(IntentKind.MarkMove, Instrument: instrument, X: direction * move),
                closer with { Instrument = instrument, Type = OrderType.Market, Flags = OrderFlags.None },
                entrant with { Instrument = instrument, Side = direction > 0 ? Side.Buy : Side.Sell },
                // The side the trend hurts also pays funding.
                new Intent(IntentKind.Funding, Instrument: instrument, X: -direction * rate),
            }, legs)
        from reversal in Long(5_000, 60_000)
        from squeeze in Long(20_000, 250_000)
        from gap in Long(100_000, 400_000)
        // A partial reversal leaves the early side and the late entrants both under water (nobody has profit to be
        // haircut); then funding or a gap bankrupts someone.
        select steps.SelectMany(x => x).Concat(
        [
            new Intent(IntentKind.MarkMove, Instrument: instrument, X: -direction * reversal),
            new Intent(IntentKind.Funding, Instrument: instrument, X: -direction * squeeze),
            new Intent(IntentKind.MarkMove, Instrument: instrument, X: direction * gap),
        ]).ToList();

    private static Gen<List<Intent>> Crash(int accounts) =>
        from pulls in Gen.Choose(1, accounts)
        from who in Gen.ListOf(Gen.Choose(0, 7), pulls)
        from instrument in Gen.Choose(0, 2)
        from move in Gen.Frequency((6, Long(-400_000, -100_000)), (4, Long(100_000, 400_000)))
        select who.Select(a => new Intent(IntentKind.CancelAll, Account: a, Ref: 0))
            .Append(new Intent(IntentKind.MarkMove, Instrument: instrument, X: move)).ToList();

    private static Gen<Intent> Liquidity() =>
        from account in Gen.Choose(0, 7)
        from instrument in Gen.Choose(0, 2)
        from side in Gen.Elements(Side.Buy, Side.Sell)
        from offset in Long(1_000, 15_000)
        from size in Long(50_000, 300_000)
        select new Intent(IntentKind.Order, account, instrument, side, OrderType.Limit, TimeInForce.Gtc,
            X: side == Side.Buy ? -offset : offset, Y: size);

    public static Gen<Intent> Step(long notional) =>
        Gen.Frequency(
            (34, Order()),
            (10, CloseOrder()),
            (6, Amend()),
            (5, Cancel()),
            (2, from a in Gen.Choose(0, 7) from i in Gen.Choose(0, 2) from r in Gen.Choose(0, 5)
                select new Intent(IntentKind.CancelAll, a, i, Ref: r)),
            (14, MarkMove()),
            (3, from i in Gen.Choose(0, 2)
                from rate in Gen.Frequency((60, Long(-3_000, 3_000)), (35, Long(-100_000, 100_000)), (5, Long(100_001, 300_000)))
                from sign in Gen.Elements(1L, -1L)
                select new Intent(IntentKind.Funding, Instrument: i, X: rate * sign)),
            (3, from a in Gen.Choose(0, 7) from k in Long(1, 10) select new Intent(IntentKind.Deposit, a, Y: k * notional)),
            (2, from a in Gen.Choose(0, 7) from f in Long(1, 1_200_000) select new Intent(IntentKind.Withdraw, a, Y: f)),
            (1, from k in Long(1, 5) select new Intent(IntentKind.InsuranceDeposit, Y: k * notional / 4)),
            (1, from i in Gen.Choose(0, 2) select new Intent(IntentKind.Resume, Instrument: i)),
            (3, from a in Gen.Choose(0, 7) from i in Gen.Choose(0, 2) from v in Gen.Choose(0, ScenarioDriver.InvalidVariants - 1)
                from side in Gen.Elements(Side.Buy, Side.Sell)
                select new Intent(IntentKind.Invalid, a, i, side, Ref: v)));

    private static Gen<Intent> MarkMove() =>
        from i in Gen.Choose(0, 2)
        from move in Gen.Frequency((60, Long(-3_000, 3_000)), (25, Long(-25_000, 25_000)), (8, Long(-400_000, -100_000)),
            (5, Long(100_000, 400_000)))
        select new Intent(IntentKind.MarkMove, Instrument: i, X: move);

    private static Gen<OrderType> OrderTypes() => Pick((75, OrderType.Limit), (25, OrderType.Market));
    private static Gen<TimeInForce> Tifs() => Pick((60, TimeInForce.Gtc), (25, TimeInForce.Ioc), (15, TimeInForce.Fok));
    private static Gen<SelfTradePrevention> Stps() =>
        Gen.Elements(SelfTradePrevention.CancelTaker, SelfTradePrevention.CancelMaker, SelfTradePrevention.CancelBoth);
    private static Gen<long> ClientIds() => Gen.Frequency((50, Gen.Constant(0L)), (50, Long(1, 6)));

    private static Gen<Intent> Order() =>
        from a in Gen.Choose(0, 7)
        from i in Gen.Choose(0, 2)
        from side in Gen.Elements(Side.Buy, Side.Sell)
        from type in OrderTypes()
        from tif in Tifs()
        from flags in Pick((87, OrderFlags.None), (8, OrderFlags.PostOnly), (5, OrderFlags.ReduceOnly))
        from stp in Stps()
        from price in Gen.Frequency((50, Long(-10_000, 10_000)), (35, Long(-50_000, 50_000)), (15, Long(-160_000, 160_000)))
        from size in Gen.Frequency((30, Long(10_000, 200_000)), (40, Long(200_000, 900_000)), (30, Long(900_000, 1_500_000)))
        from cid in ClientIds()
        select new Intent(IntentKind.Order, a, i, side, type, tif, flags, stp, price, size, cid);

    private static Gen<Intent> CloseOrder() =>
        from a in Gen.Choose(0, 7)
        from i in Gen.Choose(0, 2)
        from side in Gen.Elements(Side.Buy, Side.Sell)
        from type in OrderTypes()
        from tif in Pick((40, TimeInForce.Gtc), (40, TimeInForce.Ioc), (20, TimeInForce.Fok))
        from flags in Pick((60, OrderFlags.None), (40, OrderFlags.ReduceOnly))
        from stp in Stps()
        from concession in Long(0, 60_000)
        from size in Gen.Frequency((50, Gen.Constant(1_000_000L)), (50, Long(100_000, 1_500_000)))
        from cid in ClientIds()
        select new Intent(IntentKind.CloseOrder, a, i, side, type, tif, flags, stp, concession, size, cid);

    private static Gen<Intent> Amend() =>
        from a in Gen.Choose(0, 7)
        from r in Gen.Frequency((85, Gen.Choose(0, 20)), (15, Gen.Choose(-30, -1)))
        from byClient in Gen.Frequency((70, Gen.Constant(false)), (30, Gen.Constant(true)))
        from price in Gen.Frequency((40, Gen.Constant(0L)), (60, Long(-30_000, 30_000)))
        from size in Gen.Frequency((35, Gen.Constant(0L)), (35, Long(100_000, 999_999)), (30, Long(1_000_000, 3_000_000)))
        from cid in Long(0, 6)
        select new Intent(IntentKind.Amend, a, X: price, Y: size, ClientOrderId: cid, Ref: r, ByClientId: byClient);

    private static Gen<Intent> Cancel() =>
        from a in Gen.Choose(0, 7)
        from r in Gen.Frequency((85, Gen.Choose(0, 20)), (15, Gen.Choose(-30, -1)))
        from byClient in Gen.Frequency((70, Gen.Constant(false)), (30, Gen.Constant(true)))
        from cid in Long(0, 6)
        select new Intent(IntentKind.Cancel, a, ClientOrderId: cid, Ref: r, ByClientId: byClient);

    /// <summary>Shrinks by removing runs of steps: halves first, then ever smaller runs, down to single steps.</summary>
    public static IEnumerable<Scenario> Shrink(Scenario s)
    {
        var n = s.Intents.Count;
        for (var size = n / 2; size >= 1; size /= 2)
            for (var start = 0; start + size <= n; start += size)
                yield return s with { Intents = s.Intents.Take(start).Concat(s.Intents.Skip(start + size)).ToList() };
        if (s.Instruments.Count > 1)
        {
            // Fewer instruments: steps for a dropped instrument fold onto the remaining ones.
            yield return s with { Instruments = s.Instruments.Take(s.Instruments.Count - 1).ToList(),
                InitialMarks = s.InitialMarks.Take(s.InitialMarks.Count - 1).ToList(),
                Intents = s.Intents.Where(x => x.Kind != IntentKind.MarkTo || x.Instrument < s.Instruments.Count - 1).ToList() };
        }
    }

    public static Arbitrary<Scenario> Scenarios(LossPolicy policy, int minSteps, int maxSteps) =>
        Arb.From(Scenario(policy, minSteps, maxSteps), Shrink);
}
