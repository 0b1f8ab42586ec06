using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Tests.Support;

namespace Exchange.Core.Tests.Events;

/// <summary>The events say everything a consumer needs: how an order was accepted, where it rests, and the state of
/// every account a command changed.</summary>
public class CompleteEventsTests
{
    private static Market Funded()
    {
        var m = new Market();
        for (var a = 1; a <= 3; a++) m.Deposit(a, 100_000);
        m.Mark(120_000);
        return m;
    }

    [Fact]
    public void OrderAccepted_CarriesTheEffectiveTypeTifFlagsAndStp()
    {
        var m = Funded();
        m.Sell(2, 120_000, 10);
        var market = Market.Single(m.Do(Command.NewOrder(1, m.Btc, Side.Buy, OrderType.Market, 0, 5, TimeInForce.Gtc,
            OrderFlags.None, SelfTradePrevention.CancelBoth)), EventType.OrderAccepted);
        Assert.Equal((OrderType.Market, TimeInForce.Ioc, OrderFlags.None, SelfTradePrevention.CancelBoth),
            (market.OrderType, market.TimeInForce, market.OrderFlags, market.Stp));
        var postOnly = Market.Single(m.Do(Command.NewOrder(1, m.Btc, Side.Buy, OrderType.Limit, 119_000, 5, TimeInForce.Gtc,
            OrderFlags.PostOnly, SelfTradePrevention.CancelMaker)), EventType.OrderAccepted);
        Assert.Equal((OrderType.Limit, TimeInForce.Gtc, OrderFlags.PostOnly, SelfTradePrevention.CancelMaker),
            (postOnly.OrderType, postOnly.TimeInForce, postOnly.OrderFlags, postOnly.Stp));
        m.AssertInvariants();
    }

    [Fact]
    public void AnOrderThatRests_SaysSoWithItsRemainder_AndTouchesNoAccountState()
    {
        var m = Funded();
        m.Sell(2, 120_000, 30);
        var ev = m.Buy(1, 120_000, 100);
        Assert.Equal([EventType.OrderAccepted, EventType.Trade, EventType.OrderRested,
            EventType.PositionState, EventType.AccountState, EventType.PositionState, EventType.AccountState], ev.Select(e => e.Type));
        var rested = Market.Single(ev, EventType.OrderRested);
        Assert.Equal((1, 120_000L, 70L, Side.Buy), (rested.AccountId, rested.Price, rested.Quantity, rested.Side));
        Assert.Equal(ev[0].OrderId, rested.OrderId);

        // Resting alone changes no balance or position: no state report.
        Assert.Equal([EventType.OrderAccepted, EventType.OrderRested], m.Sell(3, 121_000, 5).Select(e => e.Type));
        // An IOC remainder does not rest.
        Assert.DoesNotContain(m.Buy(3, 119_000, 5, TimeInForce.Ioc), e => e.Type == EventType.OrderRested);
        m.AssertInvariants();
    }

    [Fact]
    public void AnAmend_ThatKeepsPriority_SaysWhatTheBookLost_AndAReplacingOneRestsAgain()
    {
        var m = Funded();
        var id = m.Buy(1, 119_000, 100)[0].OrderId;
        var kept = Market.Single(m.Do(Command.AmendOrder(1, id, 0, 60)), EventType.OrderAmended);
        Assert.Equal((EventFlags.PriorityKept, 60L, 40L), (kept.Flags, kept.Quantity, kept.LotsReduced));
        var moved = m.Do(Command.AmendOrder(1, id, 119_500, 0));
        Assert.Equal([EventType.OrderAmended, EventType.OrderRested], moved.Select(e => e.Type));
        Assert.Equal((119_500L, 60L), (moved[1].Price, moved[1].Quantity));
        m.AssertInvariants();
    }

    [Fact]
    public void AfterATrade_EachSideGetsItsPositionThenItsAccount_AsTheCoreComputesThem()
    {
        var m = Funded();
        m.Sell(2, 120_010, 10);
        m.Sell(2, 120_500, 7);
        var ev = m.Buy(1, 120_010, 10);
        var states = ev.SkipWhile(e => e.Type != EventType.PositionState).ToArray();
        Assert.Equal([1, 1, 2, 2], states.Select(e => e.AccountId));
        foreach (var s in states)
        {
            var a = s.AccountId;
            if (s.Type == EventType.PositionState)
            {
                Assert.Equal((m.X.PositionQty(a, m.Btc), m.X.PositionCost(a, m.Btc), m.X.Upnl(a, m.Btc)), (s.PositionQty, s.CostBasis, s.Upnl));
                Assert.Equal((m.X.OpenBuyLots(a, m.Btc), m.X.OpenSellLots(a, m.Btc)), (s.OpenBuyLots, s.OpenSellLots));
            }
            else
            {
                Assert.Equal((m.X.Balance(a), m.X.Equity(a), m.X.MaintenanceMargin(a), m.X.FreeMargin(a), m.X.OpenOrders(a)),
                    (s.Balance, s.Equity, s.MaintenanceMargin, s.FreeMargin, s.OpenOrders));
            }
        }
        // Account 2 still rests 7 lots at 120,500: IM = worst case max(|-10|, |-10 - 7|) = 17 lots at the mark, 10%.
        Assert.Equal(17L * 120_000 * 500 / 10, states[3].InitialMargin);
        Assert.Equal(7, states[2].OpenSellLots);
        m.AssertInvariants();
    }

    [Fact]
    public void ADepositReportsTheAccount_AndAnInsuranceDepositReportsTheFund()
    {
        var m = Funded();
        Assert.Equal([EventType.Deposited, EventType.AccountState], m.Deposit(1, 5).Select(e => e.Type));
        var ev = m.Do(Command.InsuranceDeposit(7 * Market.Usd));
        Assert.Equal([EventType.Deposited, EventType.InsuranceFund], ev.Select(e => e.Type));
        Assert.Equal(m.X.Insurance, ev[1].Amount);
        m.AssertInvariants();
    }
}
