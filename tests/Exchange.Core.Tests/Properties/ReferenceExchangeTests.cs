using System.Numerics;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Instruments;
using Exchange.Testing;

namespace Exchange.Core.Tests.Properties;

/// <summary>
/// Hand-computed rulebook examples for the reference model (and the core beside it), so that the model is pinned to
/// the rulebook itself and not only to agreement with the core (a misreading shared by both would pass the comparison).
/// </summary>
public sealed class ReferenceExchangeTests
{
    private static InstrumentSpec Spec(long maker = 0, long taker = 0, long liquidationFee = 0) => new()
    {
        Name = "T", TickValue = 1, ImrPpm = 100_000, MmrPpm = 50_000, MakerFeePpm = maker, TakerFeePpm = taker,
        LiquidationFeePpm = liquidationFee, BandPpm = 100_000, LiquidationBandPpm = 50_000,
        MaxPrice = 1_000_000, MaxOrderLots = 1_000_000, MaxPositionLots = 1_000_000,
    };

    /// <summary>Applies the commands to the model and, alongside, to a core with the same configuration, which must
    /// emit the same events.</summary>
    private static List<Event> Run(ReferenceExchange model, params Command[] commands)
    {
        var core = new Exchange(model.Options);
        foreach (var i in model.Instruments) core.AddInstrument(i.Spec);
        var all = new List<Event>();
        for (var i = 0; i < commands.Length; i++)
        {
            var c = commands[i];
            c.Sequence = i + 1;
            var events = model.Apply(c);
            StateComparer.CompareEvents(c, core.Apply(c).ToArray(), events);
            all.AddRange(events);
            InvariantChecker.Check(model);
        }
        return all;
    }

    private static ReferenceExchange Model(InstrumentSpec spec, LossPolicy policy = LossPolicy.Adl)
    {
        var m = new ReferenceExchange(new ExchangeOptions { Policy = policy });
        m.AddInstrument(spec);
        return m;
    }

    [Fact]
    public void Fill_WithRebate_TakerFeeRoundsUpAndRebateRoundsDown()
    {
        var model = Model(Spec(maker: -100, taker: 500));

        var events = Run(model, Command.Mark(0, 1000), Command.DepositTo(1, 1_000_000), Command.DepositTo(2, 1_000_000),
            Command.Limit(1, 0, Side.Sell, 1001, 7), Command.Limit(2, 0, Side.Buy, 1001, 7, TimeInForce.Ioc));

        // V = 7 x 1001 = 7007: taker ceil(3.5035) = 4, rebate floor(0.7007) = 0.
        var trade = events.Single(e => e.Type == EventType.Trade);
        Assert.Equal((7007L, 4L, 0L), (trade.Quote, trade.Amount, trade.Amount2));
        Assert.Equal(4, model.Fees);
    }

    [Fact]
    public void Funding_WithFractionalPayment_PayerRoundsUpReceiverDownDustToInsurance()
    {
        var model = Model(Spec());

        var events = Run(model, Command.Mark(0, 1000), Command.DepositTo(1, 1_000_000), Command.DepositTo(2, 1_000_000),
            Command.Limit(1, 0, Side.Sell, 1000, 3), Command.Limit(2, 0, Side.Buy, 1000, 3, TimeInForce.Ioc),
            Command.FundingAt(0, 333));

        // |x| = 3 x 1000 x 333 / 1e6 = 0.999: the long pays 1, the short receives 0, the dust 1 goes to insurance.
        var funding = events.Where(e => e.Type == EventType.Funding).Select(e => (e.AccountId, e.Amount)).ToList();
        Assert.Equal([(1, 0L), (2, -1L)], funding);
        Assert.Equal(1, events.Single(e => e.Type == EventType.FundingDust).Amount);
        Assert.Equal(1, model.Insurance);
    }

    [Fact]
    public void Fill_ThatFlipsPosition_SplitsQuoteWithFloorAndRealizesAgainstTruncatedCost()
    {
        var model = Model(Spec());

        Run(model, Command.Mark(0, 1000), Command.DepositTo(1, 1_000_000), Command.DepositTo(2, 1_000_000),
            Command.DepositTo(3, 1_000_000),
            Command.Limit(2, 0, Side.Sell, 1000, 3), Command.Limit(1, 0, Side.Buy, 1000, 3, TimeInForce.Ioc),
            Command.Limit(3, 0, Side.Buy, 1003, 7), Command.Limit(1, 0, Side.Sell, 1003, 7, TimeInForce.Ioc));

        // Account 1: long 3 at C = 3000, sells 7 at 1003 (V = 7021): closes k = 3 with V_k = floor(7021 x 3 / 7) = 3009,
        // realizing 3009 - 3000 = 9; the other 4 lots open a short with C = -(7021 - 3009) = -4012.
        Assert.Equal(-4, model.Qty(1, 0));
        Assert.Equal(-4012, model.Cost(1, 0));
        Assert.Equal(1_000_000 + 9, model.Balance(1));
    }

    [Fact]
    public void Liquidation_WithEmptyBookUnderSocialize_ClosesAtMarkAndHaircutsTheWinner()
    {
        var model = Model(Spec(), LossPolicy.Socialize);

        // Account 1 goes long 10 at 1000 with 100 of equity; the mark gaps to 880, 2.4 points past bankruptcy.
        var events = Run(model, Command.Mark(0, 1000), Command.DepositTo(1, 1_000), Command.DepositTo(2, 1_000_000),
            Command.Limit(2, 0, Side.Sell, 1000, 10), Command.Limit(1, 0, Side.Buy, 1000, 10, TimeInForce.Ioc),
            Command.Mark(0, 880));

        // E = 1000 - 1200 = -200 < MM = ceil(8800 x 5%) = 440; nothing in the book, so ADL closes at the mark against
        // account 2 (weight = its upnl 1200), leaving a balance of -200 that one haircut of 200 covers.
        var closure = events.Single(e => e.Type == EventType.AdlClosure);
        Assert.Equal((2, 10L, 8800L), (closure.CounterpartyId, closure.Quantity, closure.Quote));
        var haircut = events.Single(e => e.Type == EventType.Haircut);
        Assert.Equal((2, 1, 200L), (haircut.AccountId, haircut.CounterpartyId, haircut.Amount));
        Assert.Equal(0, events.Single(e => e.Type == EventType.LiquidationEnded).Amount);
        Assert.Equal(model.LastTraces.Single().Weights, new SortedDictionary<int, BigInteger> { [2] = 1200 });
    }

    [Fact]
    public void Liquidation_WithEmptyBookUnderAdl_ClosesAtBankruptcyPrice()
    {
        var model = Model(Spec());

        var events = Run(model, Command.Mark(0, 1000), Command.DepositTo(1, 1_000), Command.DepositTo(2, 1_000_000),
            Command.Limit(2, 0, Side.Sell, 1000, 10), Command.Limit(1, 0, Side.Buy, 1000, 10, TimeInForce.Ioc),
            Command.Mark(0, 880));

        // E = -200: the long must receive Vb = 10 x 880 - floor(-200 x MM / MM) = 9000; the winner pays it.
        var closure = events.Single(e => e.Type == EventType.AdlClosure);
        Assert.Equal((2, 10L, 9000L), (closure.CounterpartyId, closure.Quantity, closure.Quote));
        Assert.Equal(0, events.Single(e => e.Type == EventType.LiquidationEnded).Amount);
        Assert.Equal(0, model.ExchangeLedger);
    }
}
