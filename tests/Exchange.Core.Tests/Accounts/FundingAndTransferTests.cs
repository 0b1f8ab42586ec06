using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Tests.Support;

namespace Exchange.Core.Tests.Accounts;

public class FundingAndTransferTests
{
    [Fact]
    public void Funding_PayersRoundUp_ReceiversRoundDown_DustToInsurance()
    {
        var m = new Market(spec: Market.Spec() with { MakerFeePpm = 0, TakerFeePpm = 0 });
        for (var a = 1; a <= 3; a++) m.Deposit(a, 100_000);
        m.Mark(120_001);
        m.Sell(2, 120_001, 1);
        m.Sell(3, 120_001, 2);
        m.Buy(1, 120_001, 3);
        var ev = m.Do(Command.FundingAt(m.Btc, 1));
        // |x| = lots x 120,001 x 500 x 1e-6: long 180.0015 -> pays 181; shorts 60.0005 -> 60 and 120.001 -> 120.
        var f = ev.Where(e => e.Type == EventType.Funding).Select(e => (e.AccountId, e.Amount)).ToArray();
        Assert.Equal([(1, -181L), (2, 60L), (3, 120L)], f);
        Assert.Equal(1, Market.Single(ev, EventType.FundingDust).Amount);
        Assert.Equal(1, m.X.Insurance);
        m.AssertInvariants();
    }

    [Fact]
    public void Withdrawal_IsCheckedAgainstBalanceAndMargin()
    {
        var m = new Market();
        m.Deposit(1, 10_000);
        m.Mark(120_000);
        m.Buy(1, 120_000, 1000); // IM = 6,000 USD, order loss 0
        Assert.Equal(RejectCode.InsufficientBalance, Market.RejectOf(m.Do(Command.WithdrawFrom(1, 10_001 * Market.Usd))));
        Assert.Equal(RejectCode.InsufficientMargin, Market.RejectOf(m.Do(Command.WithdrawFrom(1, 4_000 * Market.Usd + 1))));
        Assert.Equal(EventType.Withdrawn, m.Do(Command.WithdrawFrom(1, 4_000 * Market.Usd))[0].Type);
        Assert.Equal(RejectCode.UnknownAccount, Market.RejectOf(m.Do(Command.WithdrawFrom(2, 1))));
        Assert.Equal(RejectCode.InvalidAmount, Market.RejectOf(m.Do(Command.DepositTo(1, 0))));
        m.AssertInvariants();
    }
}
