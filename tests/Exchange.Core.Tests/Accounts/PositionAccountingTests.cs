using Exchange.Core.Commands;
using Exchange.Core.Tests.Support;

namespace Exchange.Core.Tests.Accounts;

public class PositionAccountingTests
{
    private static Market Funded()
    {
        var m = new Market(spec: Market.Spec() with { MakerFeePpm = 0, TakerFeePpm = 0 });
        for (var a = 1; a <= 4; a++) m.Deposit(a, 100_000);
        m.Mark(120_000);
        return m;
    }

    [Fact]
    public void Reduce_RemovesATruncatedShareOfCost_AndRealizes()
    {
        var m = Funded();
        m.Sell(2, 120_000, 1);
        m.Sell(2, 120_001, 2);
        m.Buy(1, 120_001, 3);
        // C = 60,000,000 + 120,001,000 = 180,001,000 for 3 lots.
        Assert.Equal(180_001_000, m.X.PositionCost(1, m.Btc));
        var before = m.X.Balance(1);
        m.Buy(3, 120_000, 1);
        m.Sell(1, 120_000, 1);
        // removed = 180,001,000 x 1 / 3 = 60,000,333 (truncated); realized = 60,000,000 - 60,000,333 = -333.
        Assert.Equal(-333, m.X.Balance(1) - before);
        Assert.Equal(120_000_667, m.X.PositionCost(1, m.Btc));
        Assert.Equal(2, m.X.PositionQty(1, m.Btc));
        m.AssertInvariants();
    }

    [Fact]
    public void Flip_SplitsTheQuoteWithFloor_AndOpensTheRest()
    {
        var m = Funded();
        m.Sell(2, 120_000, 3);
        m.Buy(1, 120_000, 3); // C = 180,000,000
        var before = m.X.Balance(1);
        m.Buy(3, 120_002, 5);
        m.Sell(1, 120_002, 5);
        // V = 300,005,000; V_k = floor(V x 3 / 5) = 180,003,000; realized 3,000; rest opens at -120,002,000.
        Assert.Equal(3_000, m.X.Balance(1) - before);
        Assert.Equal(-2, m.X.PositionQty(1, m.Btc));
        Assert.Equal(-120_002_000, m.X.PositionCost(1, m.Btc));
        m.AssertInvariants();
    }

    [Fact]
    public void ShortReduce_TruncatesTowardZero()
    {
        var m = Funded();
        m.Buy(2, 120_000, 1);
        m.Buy(2, 120_001, 2);
        m.Sell(1, 120_000, 3); // fills the best bid first: 2 @ 120,001 then 1 @ 120,000
        Assert.Equal(-180_001_000, m.X.PositionCost(1, m.Btc));
        var before = m.X.Balance(1);
        m.Sell(3, 120_000, 1);
        m.Buy(1, 120_000, 1);
        // removed = -180,001,000 / 3 = -60,000,333 (toward zero); realized = -60,000,000 + 60,000,333 = 333.
        Assert.Equal(333, m.X.Balance(1) - before);
        Assert.Equal(-120_000_667, m.X.PositionCost(1, m.Btc));
        m.AssertInvariants();
    }
}
