using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Instruments;
using Exchange.Core.Tests.Support;

namespace Exchange.Core.Tests.Risk;

public class PreTradeCheckTests
{
    [Fact]
    public void Order_NeedsEquityForInitialMargin_CountingOpenOrdersAtWorstCase()
    {
        var m = new Market();
        m.Deposit(1, 10_000);
        m.Mark(120_000);
        // 1,000 lots x 120,000 x 500 = 60,000 USD notional; IM 10% = 6,000 USD.
        Assert.Equal(EventType.OrderAccepted, m.Buy(1, 120_000, 1000)[0].Type);
        // A second buy makes the worst case 2,000 lots: IM 12,000 USD > 10,000.
        Assert.Equal(RejectCode.InsufficientMargin, Market.RejectOf(m.Buy(1, 120_000, 1000)));
        // A sell of up to 1,000 lots does not grow max(|q + B|, |q - S|) = 1,000: accepted without a margin check.
        Assert.Equal(EventType.OrderAccepted, m.Sell(1, 121_000, 1000)[0].Type);
        // 700 more make the worst case 1,700 lots: IM 10,200 USD > 10,000.
        Assert.Equal(RejectCode.InsufficientMargin, Market.RejectOf(m.Sell(1, 121_000, 700)));
    }

    [Fact]
    public void OrderLoss_OfABuyAboveTheMark_CountsAgainstEquity()
    {
        // Buy 1,000 lots at 121,000 with mark 120,000: order loss = 1,000 x 1,000 x 500 = 500 USD; IM = 6,000 USD.
        var m = new Market(spec: Market.Spec() with { MakerFeePpm = 0, TakerFeePpm = 0 });
        m.Deposit(1, 6_499);
        m.Deposit(2, 6_500);
        m.Mark(120_000);
        Assert.Equal(RejectCode.InsufficientMargin, Market.RejectOf(m.Buy(1, 121_000, 1000)));
        Assert.Equal(EventType.OrderAccepted, m.Buy(2, 121_000, 1000)[0].Type);
        Assert.Equal(0, m.X.FreeMargin(2));
    }

    [Fact]
    public void RiskReducingOrder_IsAccepted_EvenWhenUnderwater()
    {
        var m = new Market();
        m.Deposit(1, 1_000);
        m.Deposit(2, 100_000);
        m.Mark(120_000);
        m.Buy(2, 120_000, 100);
        m.Sell(1, 120_000, 100); // short 100 lots: IM 600 USD
        m.Mark(128_000); // loss 400 USD: equity 997 - 400 = 597 USD < IM 640 USD (MM 320: not liquidatable)
        Assert.Equal(EventType.OrderAccepted, m.Buy(1, 125_000, 200)[0].Type); // |q + B| = 100: not growing
        Assert.Equal(RejectCode.InsufficientMargin, Market.RejectOf(m.Buy(1, 125_000, 1)));
        m.AssertInvariants();
    }

    [Fact]
    public void Bounds_LargestAcceptedValuesFitInLong_OnePastIsRejected()
    {
        var spec = Market.Spec();
        var m = new Market(spec: spec);
        m.Do(Command.DepositTo(1, InstrumentSpec.MaxNotional));
        m.Do(Command.DepositTo(2, InstrumentSpec.MaxNotional));
        Assert.Equal(RejectCode.InvalidPrice, Market.RejectOf(m.Mark(spec.MaxPrice + 1)));
        m.Mark(spec.MaxPrice);
        Assert.Equal(RejectCode.InvalidPrice, Market.RejectOf(m.Sell(2, spec.MaxPrice + 1, 1)));
        Assert.Equal(RejectCode.InvalidQuantity, Market.RejectOf(m.Sell(2, spec.MaxPrice, spec.MaxOrderLots + 1)));
        m.Sell(2, spec.MaxPrice, spec.MaxOrderLots);
        var t = Market.Single(m.Buy(1, spec.MaxPrice, spec.MaxOrderLots), EventType.Trade);
        Assert.Equal((Int128)spec.MaxOrderLots * spec.MaxPrice * spec.TickValue, t.Quote);
        m.AssertInvariants();
    }

    [Fact]
    public void PositionLimit_RejectsAnOrderThatWouldGrowPastIt()
    {
        var m = new Market(spec: Market.Spec() with { MaxPositionLots = 1_000, MaxOrderLots = 1_000 });
        m.Deposit(1, 1_000_000);
        m.Mark(120_000);
        m.Buy(1, 119_000, 600);
        Assert.Equal(RejectCode.PositionLimit, Market.RejectOf(m.Buy(1, 119_000, 401)));
        Assert.Equal(EventType.OrderAccepted, m.Buy(1, 119_000, 400)[0].Type);
    }

    [Fact]
    public void Configuration_WhoseNotionalCouldOverflow_IsRejected()
    {
        var spec = Market.Spec() with { MaxPrice = 1L << 40, MaxPositionLots = 1L << 32 };
        Assert.Throws<ArgumentException>(() => new Exchange().AddInstrument(spec));
        Assert.Throws<ArgumentException>(() => new Exchange().AddInstrument(Market.Spec() with { MmrPpm = 100_000 }));
        Assert.Throws<ArgumentException>(() => new Exchange().AddInstrument(Market.Spec() with { MakerFeePpm = -600 }));
        // A price bound so large that the band arithmetic would wrap is caught before it is computed.
        Assert.Throws<ArgumentException>(() => new Exchange().AddInstrument(Market.Spec() with
        {
            TickValue = 1_000_000, BandPpm = 500_000, MaxPrice = 9_000_000_000_000_000_000, MaxOrderLots = 1, MaxPositionLots = 1,
        }));
    }
}
