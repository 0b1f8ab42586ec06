using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Tests.Support;

namespace Exchange.Core.Tests.Liquidation;

/// <summary>
/// Worked examples of RULEBOOK section 8. The common opening: trader 1 deposits 700 USD and buys 100 lots
/// (0.1 BTC) at 60,000 USD (120,000 ticks) from maker 2: notional 6,000 USD = 6e9 units, C = 6e9, taker fee 3e6,
/// so balance 697e6. Its E = 5e4 x m - 5.303e9 and MM = 2,500 x m: liquidatable below m = 111,642.
/// </summary>
public class WaterfallTests
{
    private const long U = Market.Usd;

    private static Market Opening(LossPolicy policy = LossPolicy.Adl, long insuranceUsd = 0)
    {
        var m = new Market(policy);
        m.Deposit(1, 700);
        m.Deposit(2, 10_000);
        m.Deposit(3, 10_000);
        if (insuranceUsd > 0) m.Do(Command.InsuranceDeposit(insuranceUsd * U));
        m.Mark(120_000);
        m.Sell(2, 120_000, 100);
        m.Buy(1, 120_000, 100);
        Assert.Equal(697 * U, m.X.Balance(1));
        return m;
    }

    [Fact]
    public void LongLiquidatedInTheBook_WithSurplus_PaysTheFeeToInsurance_AndKeepsTheRest()
    {
        var m = Opening();
        m.Buy(3, 108_000, 100);
        var ev = m.Mark(111_000);
        // E = 247e6 < MM = 277.5e6. Bankruptcy quote Vb = 5.55e9 - 247e6 = 5.303e9. Fill 100 @ 108,000: V = 5.4e9,
        // surplus 97e6, fee min(97e6, 1% of 5.4e9 = 54e6) = 54e6. Balance 697e6 + (5.4e9 - 6e9) - 54e6 = 43e6.
        var start = Market.Single(ev, EventType.LiquidationStarted);
        Assert.Equal((247 * U, 277_500_000L), (start.Amount, start.Amount2));
        var trade = Market.Single(ev, EventType.Trade);
        Assert.Equal((108_000L, 100L, 0L, 0L, EventFlags.Liquidation), (trade.Price, trade.Quantity, trade.Amount, trade.Amount2, trade.Flags));
        Assert.Equal(54 * U, Market.Single(ev, EventType.LiquidationFee).Amount);
        Assert.Equal(43 * U, m.X.Balance(1));
        Assert.Equal(54 * U, m.X.Insurance);
        Assert.Equal(0, m.X.PositionQty(1, m.Btc));
        Assert.Equal(100, m.X.PositionQty(3, m.Btc));
        m.AssertInvariants();
    }

    [Fact]
    public void FillBelowBankruptcy_IsPaidByInsurance_AndTheAccountEndsAtZero()
    {
        var m = Opening(insuranceUsd: 200);
        m.Mark(112_000);
        m.Buy(3, 103_000, 100);
        var ev = m.Mark(111_000);
        // V = 5.15e9 < Vb = 5.303e9: insurance pays 153e6. Balance 697e6 - 850e6 + 153e6 = 0.
        Assert.Equal(153 * U, Market.Single(ev, EventType.InsurancePayment).Amount);
        Assert.Equal(0, m.X.Balance(1));
        Assert.Equal(47 * U, m.X.Insurance);
        m.AssertInvariants();
    }

    [Fact]
    public void InsuranceTooSmall_FillIsNotMade_ThenAdlAtBankruptcySlices_InQueueOrder()
    {
        var m = Opening(insuranceUsd: 100);
        // A second short, more leveraged than maker 2: account 4 shorts 50 lots to account 5.
        m.Deposit(4, 1_000);
        m.Deposit(5, 10_000);
        m.Sell(4, 120_000, 50);
        m.Buy(5, 120_000, 50);
        m.Mark(112_000);
        m.Buy(3, 103_000, 100); // would need 153e6 from insurance: more than its 100e6
        Assert.Equal([4, 2], m.X.AdlQueueOf(m.Btc, longs: false).ToArray().Select(r => r.AccountId));
        // Indicator: rank r of n maps to 5 - floor(5r/n): first of two is 5, second (r/n = 0.5) is 3.
        Assert.Equal((5, 3), (m.X.AdlQuintile(4, m.Btc), m.X.AdlQuintile(2, m.Btc)));
        var ev = m.Mark(100_000);
        // At m = 100,000 the bid (103,000) is inside the liquidation band (>= 92,500). E = -303e6, Vb = 5e9 + 303e6 =
        // 5.303e9 and V = 5.15e9: insurance (100e6) cannot pay the 153e6 shortfall, so the fill is not made and
        // account 3's bid stays.
        Assert.DoesNotContain(ev, e => e.Type == EventType.Trade);
        Assert.Equal(100, m.X.OpenBuyLots(3, m.Btc));
        // Step 3: insurance pays its 100e6; E = -203e6; Vb = 5e9 + 203e6 = 5.203e9, split 50/50 in queue order:
        // account 4 (leverage 2.5e9/1.5003e9) ranks before account 2 (5e9/1.10006e10), same profit ratio.
        var adl = ev.Where(e => e.Type == EventType.AdlClosure).ToArray();
        Assert.Equal([(4, 50L, 2_601_500_000L), (2, 50L, 2_601_500_000L)], adl.Select(a => (a.CounterpartyId, a.Quantity, a.Quote)));
        Assert.Equal(0, m.X.Balance(1));
        Assert.Equal(0, m.X.Insurance);
        m.AssertInvariants();
    }

    [Fact]
    public void Socialize_HaircutsProfitableAccounts_WithLargestRemainderUnits()
    {
        var m = Opening(LossPolicy.Socialize, insuranceUsd: 100);
        m.Deposit(4, 1_000);
        m.Deposit(5, 10_000);
        m.Sell(4, 120_000, 50);
        m.Buy(5, 120_000, 50);
        var ev = m.Mark(100_000);
        // ADL at mark: A sells 100 @ 100,000 (V = 5e9), balance 697e6 + 100e6 - 1e9 = -203e6. Insurance is spent.
        // Weights: account 2 upnl 1e9, account 4 upnl 5e8; W = 1.5e9 >= D = 203e6.
        // 2 pays floor(203e6 x 1e9 / 1.5e9) = 135,333,333 (remainder 1/3); 4 pays 67,666,666 (remainder 2/3) + 1.
        var cuts = ev.Where(e => e.Type == EventType.Haircut).Select(e => (e.AccountId, e.Amount)).ToArray();
        Assert.Equal([(2, 135_333_333L), (4, 67_666_667L)], cuts);
        Assert.Equal(0, m.X.Balance(1));
        Assert.Equal(0, m.X.ExchangeLedger);
        m.AssertInvariants();
    }

    [Fact]
    public void Socialize_WhenProfitsAreTooSmall_TheExchangeAbsorbsTheRest()
    {
        var m = Opening(LossPolicy.Socialize);
        m.Deposit(6, 10_000);
        m.Mark(112_000);
        m.Sell(6, 105_000, 100);
        m.Buy(2, 105_000, 100); // maker 2 closes its short; account 6 is now short 100 @ 105,000
        var ev = m.Mark(95_000);
        // E = 4.75e9 - 5.303e9 = -553e6. ADL at mark against account 6 (the only short). Weight of 6 = 5e8 < D = 553e6:
        // account 6 pays 5e8, the exchange 53e6.
        Assert.Equal((6, 500 * U), ev.Where(e => e.Type == EventType.Haircut).Select(e => (e.AccountId, e.Amount)).Single());
        Assert.Equal(53 * U, Market.Single(ev, EventType.ExchangeLoss).Amount);
        Assert.Equal(-53 * U, m.X.ExchangeLedger);
        Assert.Equal(0, m.X.Balance(1));
        m.AssertInvariants();
    }

    [Fact]
    public void AdlAtMark_WhenEquityIsPositive_ChargesOneLiquidationFee()
    {
        var m = Opening();
        var ev = m.Mark(111_000);
        // No bids: ADL at mark 111,000 against account 2. E stays 247e6 > 0: fee min(247e6, 1% of 5.55e9) = 55.5e6.
        var closure = Market.Single(ev, EventType.AdlClosure);
        Assert.Equal((2, 100L, 5_550_000_000L), (closure.CounterpartyId, closure.Quantity, closure.Quote));
        Assert.Equal(55_500_000, Market.Single(ev, EventType.LiquidationFee).Amount);
        Assert.Equal(247 * U - 55_500_000, m.X.Balance(1));
        m.AssertInvariants();
    }

    [Fact]
    public void LiquidationFill_ThatTipsTheBidder_CascadesInTheSameCommand()
    {
        var m = new Market();
        m.Deposit(1, 700);
        m.Deposit(2, 10_000);
        m.Deposit(3, 640);
        m.Mark(120_000);
        m.Sell(2, 120_000, 100);
        m.Buy(1, 120_000, 100);
        m.Buy(3, 108_000, 100); // IM 600 USD <= 640
        var ev = m.Mark(100_000);
        // 1 is sold into 3's bid at 108,000 (surplus 97e6, fee 54e6, keeps 43e6). 3 is then long 100 @ 108,000 at
        // mark 100,000: E = 640e6 - 400e6 = 240e6 < MM 250e6, so it is liquidated next: ADL at mark against 2,
        // fee min(240e6, 50e6).
        var started = ev.Where(e => e.Type == EventType.LiquidationStarted).Select(e => e.AccountId).ToArray();
        Assert.Equal([1, 3], started);
        Assert.Equal(43 * U, m.X.Balance(1));
        Assert.Equal(190 * U, m.X.Balance(3));
        Assert.Equal(54 * U + 50 * U, m.X.Insurance);
        m.AssertInvariants();
    }

    [Fact]
    public void MultiInstrumentAccount_ClosesLargestMaintenanceFirst()
    {
        var m = new Market();
        var eth = m.X.AddInstrument(Market.Spec("ETH-PERP"));
        m.Deposit(1, 1_000);
        m.Deposit(2, 100_000);
        m.Mark(120_000);
        m.Do(Command.Mark(eth, 8_000));
        m.Sell(2, 120_000, 100);
        m.Buy(1, 120_000, 100); // BTC notional 6,000 USD
        m.Do(Command.Limit(2, eth, Side.Sell, 8_000, 500));
        m.Do(Command.Limit(1, eth, Side.Buy, 8_000, 500)); // ETH notional 2,000 USD
        // At 106,000: E = 996e6 - 700e6 = 296e6 < MM = 265e6 (BTC) + 100e6 (ETH): BTC, the larger MM, goes first.
        var ev = m.Mark(106_000);
        var closures = ev.Where(e => e.Type == EventType.AdlClosure).Select(e => e.InstrumentId).ToArray();
        Assert.Equal([m.Btc, eth], closures);
        Assert.Equal(0, m.X.PositionQty(1, m.Btc));
        Assert.Equal(0, m.X.PositionQty(1, eth));
        m.AssertInvariants();
    }
}
