using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Tests.Support;

namespace Exchange.Core.Tests.Accounts;

/// <summary>
/// The deposit bound counts what the exchange holds (deposits net of withdrawals) and the balance a deposit lands on,
/// never the lifetime sum of deposits (issue 19): a long-lived venue keeps taking deposits as withdrawals free room.
/// </summary>
public class DepositBoundTests
{
    private const long U = Market.Usd;

    [Fact]
    public void Withdrawals_FreeRoom_UnderTheHeldBound()
    {
        // 10^9 units at 0 decimals: the smallest bound the options accept.
        var m = new Market(options: new ExchangeOptions { MaxTotalHeld = 1_000_000_000, CollateralDecimals = 0 });
        m.Do(Command.DepositTo(1, 600_000_000));
        m.Do(Command.DepositTo(2, 400_000_000));
        Assert.Equal(RejectCode.InvalidAmount, Market.RejectOf(m.Do(Command.DepositTo(3, 1))));
        Assert.False(m.X.AccountExists(3));
        Assert.Equal(RejectCode.InvalidAmount, Market.RejectOf(m.Do(Command.InsuranceDeposit(1))));

        m.Do(Command.WithdrawFrom(1, 100_000_000));
        Assert.Equal(100_000_000, Market.Single(m.Do(Command.DepositTo(3, 100_000_000)), EventType.Deposited).Amount);
        m.Do(Command.WithdrawFrom(2, 1));
        Assert.Equal(1, Market.Single(m.Do(Command.InsuranceDeposit(1)), EventType.Deposited).Amount);
        Assert.Equal((Int128)1_000_000_000, m.X.Held);
        Assert.Equal((Int128)1_100_000_001, m.X.Deposits);
        m.AssertInvariants();
    }

    [Fact]
    public void LifetimeDeposits_PastLong_StayExact_AndConserved()
    {
        // Nine round trips of 2^60: 9 x 2^60 deposited over the exchange's life, more than long.MaxValue.
        var m = new Market();
        for (var k = 0; k < 9; k++)
        {
            Assert.Equal(EventType.Deposited, m.Do(Command.DepositTo(1, InstrumentSpecMax))[0].Type);
            Assert.Equal(EventType.Withdrawn, m.Do(Command.WithdrawFrom(1, InstrumentSpecMax))[0].Type);
        }
        Assert.Equal((Int128)InstrumentSpecMax * 9, m.X.Deposits);
        Assert.Equal((Int128)InstrumentSpecMax * 9, m.X.Withdrawals);
        Assert.Equal(Int128.Zero, m.X.Held);
        m.AssertInvariants();
    }

    private const long InstrumentSpecMax = Instruments.InstrumentSpec.MaxNotional;

    [Fact]
    public void Deposit_OntoABalanceAboveWhatIsHeld_IsBoundedByTheBalance()
    {
        // After the exchange absorbed a loss, a balance can exceed what is held (conservation: sum(balance) - sum(C) =
        // held - insurance - fees - exchange, and exchange < 0). Opening of WaterfallTests' exchange-loss case.
        var m = new Market(LossPolicy.Socialize, options: new ExchangeOptions { MaxTotalHeld = 40_000 * U, CollateralDecimals = 0 });
        m.Deposit(1, 700);
        m.Deposit(2, 10_000);
        m.Deposit(3, 10_000);
        m.Deposit(6, 10_000);
        m.Mark(120_000);
        m.Sell(2, 120_000, 100);
        m.Buy(1, 120_000, 100);
        m.Mark(112_000);
        m.Sell(6, 105_000, 100);
        m.Buy(2, 105_000, 100);
        m.Mark(95_000);
        Assert.Equal(-53 * U, m.X.ExchangeLedger);
        // Everyone but account 3 (which never traded) takes its whole balance out.
        foreach (var a in new[] { 1, 2, 6 })
            if (m.X.Balance(a) > 0) Assert.Equal(EventType.Withdrawn, m.Do(Command.WithdrawFrom(a, m.X.Balance(a)))[0].Type);
        Assert.True(m.X.Balance(3) > m.X.Held, $"balance {m.X.Balance(3)} held {m.X.Held}");

        // The amount that fills the held bound exactly: accepted on a new account, refused on account 3's balance.
        var room = (long)(m.X.Options.MaxTotalHeld - m.X.Held);
        Assert.Equal(RejectCode.InvalidAmount, Market.RejectOf(m.Do(Command.DepositTo(3, room))));
        Assert.Equal(room, Market.Single(m.Do(Command.DepositTo(9, room)), EventType.Deposited).Amount);
        m.AssertInvariants();
    }
}
