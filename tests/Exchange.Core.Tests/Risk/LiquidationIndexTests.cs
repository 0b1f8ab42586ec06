using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Risk;
using Exchange.Core.Tests.Support;

namespace Exchange.Core.Tests.Risk;

public class LiquidationIndexTests
{
    /// <summary>Accounts 2..n+1 each long 10 lots with deposits growing with the id; account 1 is the short side.</summary>
    private static Market Population(int n)
    {
        var m = new Market(spec: Market.Spec() with { MakerFeePpm = 0, TakerFeePpm = 0 });
        m.Deposit(1, 10_000_000);
        m.Mark(120_000);
        for (var a = 2; a <= n + 1; a++)
        {
            m.Deposit(a, 60 + a); // 10 lots = 600 USD notional: IM 60 USD, MM 30 USD
            m.Sell(1, 120_000, 10);
            m.Buy(a, 120_000, 10);
        }
        return m;
    }

    [Fact]
    public void MarkMove_WithinEverySlack_ReevaluatesNobody()
    {
        var m = Population(500);
        var before = m.X.IndexEvaluations;
        m.Mark(119_999);
        Assert.Equal(before, m.X.IndexEvaluations);
        Assert.Equal(501, m.X.WatchedPositions(m.Btc));
        m.AssertInvariants();
    }

    [Fact]
    public void MarkMove_ReevaluatesOnlyTheAccountsWhoseTriggerItCrossed_AndLiquidatesTheRightOnes()
    {
        var m = Population(500);
        var before = m.X.IndexEvaluations;
        // Account a (deposit 60 + a USD, long 10 lots) has slack (30 + a) USD at 120,000 and one tick costs it at most
        // 5,250 units, so its trigger is 120,000 - (30 + a) x 1e6 / 5,250: a move to 110,000 crosses it for a <= 22.
        // It is liquidatable when (60 + a) x 1e6 - 50e6 < MM = 27.5e6, i.e. for a <= 17.
        var ev = m.Mark(110_000);
        var liquidated = ev.Where(e => e.Type == EventType.LiquidationStarted).Select(e => e.AccountId).Order().ToArray();
        Assert.Equal(Enumerable.Range(2, 16), liquidated);
        // Evaluated: the 21 triggered accounts, plus the accounts each liquidation touched (itself and the short).
        Assert.InRange(m.X.IndexEvaluations - before, 21, 21 + 2 * 16);
        m.AssertInvariants();
    }

    [Fact]
    public void Reachable_IsWhetherSomeAcceptedMarkPopsTheEntry()
    {
        // OnMark pops a long's entry (key -(mark - delta)) when -key > m', a short's (key mark + delta) when key < m',
        // for an accepted mark 1 <= m' <= max_price: every combination on a small price range, both sides.
        const long maxPrice = 40;
        for (long mark = 0; mark <= maxPrice; mark++)
            for (long delta = 0; delta <= maxPrice + 1; delta++)
            {
                bool longPops = false, shortPops = false;
                for (long m = 1; m <= maxPrice; m++)
                {
                    longPops |= -(-(mark - delta)) > m;
                    shortPops |= mark + delta < m;
                }
                Assert.Equal(longPops, LiquidationIndex.Reachable(10, mark, delta, maxPrice));
                Assert.Equal(shortPops, LiquidationIndex.Reachable(-10, mark, delta, maxPrice));
            }
    }

    [Fact]
    public void WellFundedPositions_GetNoEntry_AndNoMarkLiquidatesThem()
    {
        var m = new Market(spec: Market.Spec() with { MakerFeePpm = 0, TakerFeePpm = 0 });
        m.Mark(120_000);
        // Accounts 1 (long) and 2 (short) could lose 10,000,001 ticks of 525 units and stay above MM: no entry.
        m.Deposit(1, 10_000_000);
        m.Deposit(2, 10_000_000);
        m.Sell(2, 120_000, 1);
        m.Buy(1, 120_000, 1);
        Assert.Equal(0, m.X.WatchedPositions(m.Btc));
        // Accounts 3 (long) and 4 (short) hold 10 lots on 100 USD each: watched.
        m.Deposit(3, 100);
        m.Deposit(4, 100);
        m.Sell(4, 120_000, 10);
        m.Buy(3, 120_000, 10);
        Assert.Equal(2, m.X.WatchedPositions(m.Btc));
        m.AssertInvariants();
        var evaluations = m.X.IndexEvaluations;
        // The extremes of an accepted mark: the thin long is liquidated at 1, nothing else was watched to pop.
        var low = m.Mark(1);
        Assert.Equal([3], low.Where(e => e.Type == EventType.LiquidationStarted).Select(e => e.AccountId).ToArray());
        Assert.False(m.X.IsLiquidatable(1));
        Assert.False(m.X.IsLiquidatable(2));
        m.AssertInvariants();
        var high = m.Mark(m.X.Instrument(m.Btc).MaxPrice);
        Assert.DoesNotContain(high, e => e.Type == EventType.LiquidationStarted && e.AccountId is 1 or 2);
        Assert.False(m.X.IsLiquidatable(1));
        Assert.False(m.X.IsLiquidatable(2));
        Assert.True(m.X.IndexEvaluations > evaluations);
        m.AssertInvariants();
    }
}
