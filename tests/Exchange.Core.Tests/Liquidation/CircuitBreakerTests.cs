using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Journal;
using Exchange.Core.Tests.Support;

namespace Exchange.Core.Tests.Liquidation;

/// <summary>
/// The circuit breaker (docs/rulebook-notes.md): BTC-PERP of <see cref="Market"/> with a 10% band over a window of 3
/// marks. Trader 1 is long 100 lots at 120,000 ticks with 700 USD (liquidatable below 111,642), maker 2 short.
/// </summary>
public class CircuitBreakerTests
{
    private static Market Opening(long bandPpm = 100_000)
    {
        var m = new Market(spec: Market.Spec() with { BreakerBandPpm = bandPpm, BreakerWindow = 3 });
        m.Deposit(1, 700);
        m.Deposit(2, 10_000);
        m.Deposit(3, 10_000);
        m.Mark(120_000);
        m.Sell(2, 120_000, 100);
        m.Buy(1, 120_000, 100);
        return m;
    }

    [Fact]
    public void MarkPastTheBand_Halts_AfterItsMarkEvent_AndLiquidationStillRuns()
    {
        var m = Opening();
        m.Mark(116_000);
        // 107,000 is 10.8% below 120,000 (in the window): (120,000 - 107,000) x 1e6 > 120,000 x 100,000.
        var ev = m.Mark(107_000);
        Assert.Equal([EventType.MarkPrice, EventType.TradingHalted, EventType.LiquidationStarted], ev.Take(3).Select(e => e.Type));
        var halt = ev[1];
        Assert.Equal((0, 107_000L, 120_000L), (halt.InstrumentId, halt.Price, halt.Amount));
        Assert.True(m.X.IsHalted(m.Btc));
        Assert.Equal(0, m.X.PositionQty(1, m.Btc)); // deleveraged against maker 2 while halted
        m.AssertInvariants();
    }

    [Fact]
    public void ABookQuery_FlagsAHaltedInstrument_AfterItsMark_UntilItResumes()
    {
        var m = Opening();
        m.Mark(125_000);
        m.Mark(140_000);                                          // +12% from 120,000: halted
        m.Mark(139_000);                                          // marks go on while halted
        var hash = m.X.StateHash();

        var ev = m.Do(Command.BookQuery());

        var i = Array.FindIndex(ev, e => e.Type == EventType.TradingHalted);
        Assert.True(i > 0, "no TradingHalted in the answer of a halted instrument");
        Assert.Equal((EventType.MarkPrice, 139_000L), (ev[i - 1].Type, ev[i - 1].Price));
        Assert.Equal((0, 139_000L, 120_000L), (ev[i].InstrumentId, ev[i].Price, ev[i].Amount));
        Assert.Equal(hash, m.X.StateHash());
        Assert.Contains(m.Do(Command.Resume(m.Btc)), e => e.Type == EventType.TradingResumed);
        Assert.DoesNotContain(m.Do(Command.BookQuery()), e => e.Type == EventType.TradingHalted);
        m.AssertInvariants();
    }

    [Fact]
    public void WhileHalted_RiskIncreasingOrdersAreRefused_RiskReducingOrdersAndCancelsGoOn()
    {
        var m = Opening();
        m.Mark(125_000);
        m.Mark(126_000);
        m.Sell(3, 130_000, 10);                                   // account 3's resting ask, before the halt
        Assert.Contains(m.Mark(140_000), e => e.Type == EventType.TradingHalted); // +12% from 125,000

        Assert.Equal(RejectCode.InstrumentHalted, Market.RejectOf(m.Buy(1, 140_000, 5)));  // adds to 1's long
        Assert.Equal(RejectCode.InstrumentHalted, Market.RejectOf(m.Sell(3, 140_000, 5))); // grows 3's worst case
        var order = m.X.OrdersOf(3).Single();
        Assert.Equal(RejectCode.InstrumentHalted, Market.RejectOf(m.Do(Command.AmendOrder(3, order.OrderId, 0, 20))));
        Assert.Contains(m.Do(Command.AmendOrder(3, order.OrderId, 0, 8)), e => e.Type == EventType.OrderAmended);
        // Maker 2 (short 100) buys back 5: risk-reducing, accepted, and it trades with account 3's ask.
        Assert.Contains(m.Buy(2, 140_000, 5, TimeInForce.Ioc), e => e.Type == EventType.Trade);
        Assert.Contains(m.Do(Command.CancelOrder(3, order.OrderId)), e => e.Type == EventType.OrderCancelled);
        Assert.Equal((-95L, -5L), (m.X.PositionQty(2, m.Btc), m.X.PositionQty(3, m.Btc)));
        m.AssertInvariants();
    }

    [Fact]
    public void Halt_EndsAtTheWindowsCalmMark_OrByTheAdmin()
    {
        var m = Opening();
        m.Mark(130_000);
        Assert.Contains(m.Mark(150_000), e => e.Type == EventType.TradingHalted); // +15.4% from 130,000
        Assert.DoesNotContain(m.Mark(151_000), e => e.Type == EventType.TradingResumed);
        Assert.DoesNotContain(m.Mark(170_000), e => e.Type is EventType.TradingHalted or EventType.TradingResumed);
        Assert.True(m.X.IsHalted(m.Btc)); // 170,000 is 13% above 150,000: a new breach restarts the count
        m.Mark(171_000);
        m.Mark(172_000);
        var resumed = Market.Single(m.Mark(172_500), EventType.TradingResumed); // third calm mark since 170,000
        Assert.Equal((172_500L, 0L), (resumed.Price, resumed.Amount));
        Assert.False(m.X.IsHalted(m.Btc));

        Assert.Equal(RejectCode.InstrumentNotHalted, Market.RejectOf(m.Do(Command.Resume(m.Btc))));
        Assert.Contains(m.Mark(140_000), e => e.Type == EventType.TradingHalted);
        var admin = Market.Single(m.Do(Command.Resume(m.Btc)), EventType.TradingResumed);
        Assert.Equal((140_000L, 1L), (admin.Price, admin.Amount));
        Assert.Contains(m.Buy(3, 140_000, 5), e => e.Type == EventType.OrderAccepted);
        Assert.Equal(RejectCode.UnknownInstrument, Market.RejectOf(m.Do(Command.Resume(7))));
        m.AssertInvariants();
    }

    [Fact]
    public void Halt_SurvivesASnapshot_AndTheRestoredExchangeGoesOnAlike()
    {
        var m = Opening();
        m.Mark(130_000);
        m.Mark(150_000);
        m.Mark(151_000);
        var restored = new Exchange(m.X.Options);
        restored.AddInstrument(m.X.Instrument(m.Btc));
        SnapshotCodec.Read(SnapshotCodec.Write(m.X), restored);
        Assert.True(restored.IsHalted(m.Btc));
        Assert.Equal(m.X.StateHash(), restored.StateHash());
        foreach (var c0 in new[] { Command.Mark(m.Btc, 152_000), Command.Limit(3, m.Btc, Side.Buy, 150_000, 5), Command.Mark(m.Btc, 152_500) })
        {
            var c = c0 with { Sequence = m.X.LastSequence + 1 };
            Assert.Equal(m.X.Apply(in c).ToArray(), restored.Apply(in c).ToArray());
        }
        Assert.False(restored.IsHalted(m.Btc));
        m.AssertInvariants();
    }

    [Fact]
    public void BreakerOff_TheSameMarksHaltNothing()
    {
        var m = Opening(bandPpm: 0);
        m.Mark(130_000);
        Assert.DoesNotContain(m.Mark(150_000), e => e.Type == EventType.TradingHalted);
        Assert.Contains(m.Buy(3, 150_000, 5), e => e.Type == EventType.OrderAccepted);
        Assert.False(m.X.IsHalted(m.Btc));
        m.AssertInvariants();
    }
}
