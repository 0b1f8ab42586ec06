using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Tests.Support;

namespace Exchange.Core.Tests.Book;

public class MatchingTests
{
    private static Market Funded(int accounts = 4)
    {
        var m = new Market();
        for (var a = 1; a <= accounts; a++) m.Deposit(a, 100_000);
        m.Mark(120_000);
        return m;
    }

    [Fact]
    public void Taker_SweepsLevels_InPriceThenTimeOrder_AtMakerPrices()
    {
        var m = Funded();
        m.Sell(2, 120_010, 100);
        m.Sell(3, 120_005, 100);
        m.Sell(4, 120_005, 100);
        var trades = m.Buy(1, 120_010, 250).Where(e => e.Type == EventType.Trade).ToArray();
        Assert.Equal([3, 4, 2], trades.Select(t => t.CounterpartyId));
        Assert.Equal([120_005L, 120_005, 120_010], trades.Select(t => t.Price));
        Assert.Equal([100L, 100, 50], trades.Select(t => t.Quantity));
        Assert.Equal(50, m.X.OpenSellLots(2, m.Btc));
        m.AssertInvariants();
    }

    [Fact]
    public void Fees_TakerRoundsUp_MakerRebateRoundsDown_PaidFromFees()
    {
        var m = Funded();
        m.Sell(2, 120_001, 1);
        var t = Market.Single(m.Buy(1, 120_001, 1), EventType.Trade);
        // V = 1 x 120,001 x 500 = 60,000,500; taker 0.05% = 30,000.25 -> 30,001; rebate 0.01% = 6,000.05 -> 6,000.
        Assert.Equal(60_000_500, t.Quote);
        Assert.Equal(30_001, t.Amount);
        Assert.Equal(-6_000, t.Amount2);
        Assert.Equal(30_001 - 6_000, m.X.Fees);
        Assert.Equal(100_000 * Market.Usd - 30_001, m.X.Balance(1));
        Assert.Equal(100_000 * Market.Usd + 6_000, m.X.Balance(2));
        m.AssertInvariants();
    }

    [Fact]
    public void PostOnly_ThatWouldTrade_IsRejected_AndNothingChanges()
    {
        var m = Funded();
        m.Sell(2, 120_010, 100);
        var ev = m.Do(Command.NewOrder(1, m.Btc, Side.Buy, OrderType.Limit, 120_010, 10, flags: OrderFlags.PostOnly));
        Assert.Equal(RejectCode.PostOnlyWouldTrade, Market.RejectOf(ev));
        Assert.Single(ev);
        Assert.Equal(1, m.X.OpenOrderCount);
        m.AssertInvariants();
    }

    [Fact]
    public void Fok_ThatCannotFillInFull_IsRejected_WithNoFillsAndNothingCancelled()
    {
        var m = Funded();
        m.Sell(1, 120_005, 100); // own order first: cancel-taker would stop the walk there
        m.Sell(2, 120_006, 100);
        var ev = m.Do(Command.NewOrder(1, m.Btc, Side.Buy, OrderType.Limit, 120_010, 150, TimeInForce.Fok));
        Assert.Equal(RejectCode.FokNotFillable, Market.RejectOf(ev));
        Assert.Equal(2, m.X.OpenOrderCount);
        // Under cancel-maker the own order would be cancelled and skipped: 100 lots are not 150 either.
        ev = m.Do(Command.NewOrder(1, m.Btc, Side.Buy, OrderType.Limit, 120_010, 150, TimeInForce.Fok, stp: SelfTradePrevention.CancelMaker));
        Assert.Equal(RejectCode.FokNotFillable, Market.RejectOf(ev));
        ev = m.Do(Command.NewOrder(1, m.Btc, Side.Buy, OrderType.Limit, 120_010, 100, TimeInForce.Fok, stp: SelfTradePrevention.CancelMaker));
        Assert.Equal([EventType.OrderAccepted, EventType.OrderCancelled, EventType.Trade,
            EventType.PositionState, EventType.AccountState, EventType.PositionState, EventType.AccountState], ev.Select(e => e.Type));
        m.AssertInvariants();
    }

    [Fact]
    public void Ioc_Remainder_IsCancelled_NotRested()
    {
        var m = Funded();
        m.Sell(2, 120_005, 40);
        var ev = m.Buy(1, 120_010, 100, TimeInForce.Ioc);
        var c = Market.Single(ev, EventType.OrderCancelled);
        Assert.Equal(CancelReason.IocRemainder, c.CancelReason);
        Assert.Equal(60, c.Quantity);
        Assert.Equal(0, m.X.OpenOrderCount);
        m.AssertInvariants();
    }

    [Theory]
    [InlineData(SelfTradePrevention.CancelTaker, 1, 0)]
    [InlineData(SelfTradePrevention.CancelMaker, 0, 1)]
    [InlineData(SelfTradePrevention.CancelBoth, 0, 0)]
    public void SelfTrade_NeverFills_AndCancelsPerMode(SelfTradePrevention stp, int ownLeft, int takerRests)
    {
        var m = Funded();
        m.Sell(1, 120_005, 50);
        var ev = m.Do(Command.NewOrder(1, m.Btc, Side.Buy, OrderType.Limit, 120_005, 50, stp: stp));
        Assert.DoesNotContain(ev, e => e.Type == EventType.Trade);
        Assert.Equal(ownLeft * 50, m.X.OpenSellLots(1, m.Btc));
        Assert.Equal(takerRests * 50, m.X.OpenBuyLots(1, m.Btc));
        m.AssertInvariants();
    }

    [Fact]
    public void Market_Order_IsLimitedByTheBand()
    {
        var m = Funded();
        m.Sell(2, 131_000, 10);
        m.Sell(3, 132_001, 10); // outside the band on entry: rejected
        var ev = m.Do(Command.Market(1, m.Btc, Side.Buy, 20));
        // Buy limit = floor(120,000 x 1.1) = 132,000: one fill, the rest cancelled.
        Assert.Equal(132_000, Market.Single(ev, EventType.OrderAccepted).Price);
        Assert.Equal(10, Market.Single(ev, EventType.Trade).Quantity);
        Assert.Equal(CancelReason.IocRemainder, Market.Single(ev, EventType.OrderCancelled).CancelReason);
        m.AssertInvariants();
    }

    [Fact]
    public void LimitOutsideBand_IsRejected_AndBandRoundsInward()
    {
        var m = Funded();
        m.Mark(120_001); // 120,001 x 1.1 = 132,001.1 -> 132,001; x 0.9 = 108,000.9 -> 108,001
        Assert.Equal(RejectCode.PriceOutOfBand, Market.RejectOf(m.Buy(1, 132_002, 1)));
        Assert.Equal(EventType.OrderAccepted, m.Buy(1, 108_001, 1)[0].Type);
        Assert.Equal(RejectCode.PriceOutOfBand, Market.RejectOf(m.Sell(1, 108_000, 1)));
    }

    [Fact]
    public void ReduceOnly_IsClippedToThePosition_AndNeverOpens()
    {
        var m = Funded();
        m.Sell(2, 120_000, 30);
        m.Buy(1, 120_000, 30);
        m.Buy(3, 119_000, 100);
        var ev = m.Do(Command.NewOrder(1, m.Btc, Side.Sell, OrderType.Limit, 119_000, 100, TimeInForce.Ioc, OrderFlags.ReduceOnly));
        Assert.Equal(30, Market.Single(ev, EventType.OrderAccepted).Quantity);
        Assert.Equal(0, m.X.PositionQty(1, m.Btc));
        ev = m.Do(Command.NewOrder(1, m.Btc, Side.Sell, OrderType.Limit, 119_000, 10, TimeInForce.Ioc, OrderFlags.ReduceOnly));
        Assert.Equal(RejectCode.ReduceOnlyInvalid, Market.RejectOf(ev));
        ev = m.Do(Command.NewOrder(2, m.Btc, Side.Buy, OrderType.Limit, 119_000, 10, TimeInForce.Gtc, OrderFlags.ReduceOnly));
        Assert.Equal(RejectCode.ReduceOnlyInvalid, Market.RejectOf(ev));
        m.AssertInvariants();
    }

    [Fact]
    public void Amend_DownAtSamePrice_KeepsPriority_OtherwiseLosesIt()
    {
        var m = Funded();
        var first = Market.Single(m.Sell(2, 120_005, 100), EventType.OrderAccepted).OrderId;
        m.Sell(3, 120_005, 100);
        var ev = m.Do(Command.AmendOrder(2, first, 0, 60));
        Assert.Equal(EventFlags.PriorityKept, Market.Single(ev, EventType.OrderAmended).Flags);
        Assert.Equal(2, m.X.OrdersInBook(m.Btc, Side.Sell)[0].AccountId);
        ev = m.Do(Command.AmendOrder(2, first, 0, 80));
        Assert.Equal(EventFlags.None, Market.Single(ev, EventType.OrderAmended).Flags);
        Assert.Equal([3, 2], m.X.OrdersInBook(m.Btc, Side.Sell).Select(o => o.AccountId));
        m.AssertInvariants();
    }

    [Fact]
    public void Amend_ThatCrosses_TradesAtOnce_AndARejectedAmendChangesNothing()
    {
        var m = Funded();
        var id = Market.Single(m.Buy(1, 119_000, 100), EventType.OrderAccepted).OrderId;
        m.Sell(2, 120_000, 40);
        var ev = m.Do(Command.AmendOrder(1, id, 120_000, 0));
        Assert.Equal(40, Market.Single(ev, EventType.Trade).Quantity);
        Assert.Equal(60, m.X.OpenBuyLots(1, m.Btc));
        ev = m.Do(Command.AmendOrder(1, id, 140_000, 0));
        Assert.Equal(RejectCode.PriceOutOfBand, Market.RejectOf(ev));
        Assert.True(m.X.TryGetOrder(id, out var o));
        Assert.Equal((120_000L, 60L), (o.Price, o.Remaining));
        m.AssertInvariants();
    }

    [Fact]
    public void Cancel_ByClientId_AndCancelAll_PerInstrument()
    {
        var m = Funded();
        m.Do(Command.Limit(1, m.Btc, Side.Buy, 119_000, 10, clientOrderId: 7));
        Assert.Equal(RejectCode.DuplicateClientOrderId,
            Market.RejectOf(m.Do(Command.Limit(1, m.Btc, Side.Buy, 119_001, 10, clientOrderId: 7))));
        var c = Market.Single(m.Do(Command.CancelOrder(1, 0, 7)), EventType.OrderCancelled);
        Assert.Equal((7L, CancelReason.User), (c.ClientOrderId, c.CancelReason));
        Assert.Equal(RejectCode.UnknownOrder, Market.RejectOf(m.Do(Command.CancelOrder(1, 0, 7))));
        m.Buy(1, 119_000, 10);
        m.Sell(1, 121_000, 10);
        m.Buy(2, 119_000, 10);
        var ev = m.Do(Command.CancelAllOrders(1, m.Btc));
        Assert.Equal(2, ev.Count(e => e.Type == EventType.OrderCancelled));
        Assert.Equal(1, m.X.OpenOrderCount);
        // Another account's order is unknown to the caller.
        var other = m.X.OrdersOf(2)[0].OrderId;
        Assert.Equal(RejectCode.UnknownOrder, Market.RejectOf(m.Do(Command.CancelOrder(1, other))));
    }

    [Fact]
    public void OpenOrderLimit_And_NoMark_AreRejected()
    {
        var m = new Market(options: new ExchangeOptions { MaxOpenOrdersPerAccount = 2 });
        m.Deposit(1, 100_000);
        Assert.Equal(RejectCode.NoMarkPrice, Market.RejectOf(m.Buy(1, 119_000, 1)));
        m.Mark(120_000);
        m.Buy(1, 119_000, 1);
        m.Buy(1, 119_001, 1);
        Assert.Equal(RejectCode.TooManyOpenOrders, Market.RejectOf(m.Buy(1, 119_002, 1)));
        Assert.Equal(RejectCode.UnknownAccount, Market.RejectOf(m.Buy(9, 119_002, 1)));
        Assert.Equal(RejectCode.UnknownInstrument,
            Market.RejectOf(m.Do(Command.Limit(1, 5, Side.Buy, 119_000, 1))));
    }
}
