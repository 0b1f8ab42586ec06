using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Journal;
using Exchange.Core.Tests.Support;

namespace Exchange.Core.Tests.Dedup;

/// <summary>The core's token rules (docs/protocol.md section 7): a token is applied at most once, whatever is resent.</summary>
public sealed class DeduplicationTests
{
    private const uint Admin = 0x8000_0001;
    private const uint Feed = 0x8000_0002;

    private static Command Tokened(Command c, uint origin, uint token)
    {
        c.Origin = origin;
        c.Token = token;
        return c;
    }

    private static Market Funded()
    {
        var m = new Market();
        m.Do(Tokened(Command.DepositTo(1, 100_000 * Market.Usd), Admin, 1));
        m.Do(Tokened(Command.DepositTo(2, 100_000 * Market.Usd), Admin, 2));
        m.Do(Tokened(Command.Mark(m.Btc, 120_000), Feed, 1));
        return m;
    }

    [Fact]
    public void ResentDeposit_NotExecutedAgain_AnsweredWithItsOriginalOutcome()
    {
        var m = new Market();
        var deposit = Tokened(Command.DepositTo(1, 500 * Market.Usd), Admin, 7);
        var first = m.Do(deposit);
        Assert.Equal(EventType.Deposited, first[0].Type);
        var again = m.Do(deposit);
        var d = Assert.Single(again);
        Assert.Equal((EventType.Duplicate, Admin, 7u, first[0].Sequence, 0L, RejectCode.None, 1),
            (d.Type, d.Origin, d.Token, d.OriginalSequence, d.OrderId, d.OriginalOutcome, d.AccountId));
        Assert.Equal(500 * Market.Usd, m.X.Balance(1));
        m.AssertInvariants();
    }

    [Fact]
    public void EveryCommandType_Resent_ExecutesOnce()
    {
        var m = Funded();
        var order = Tokened(Command.Limit(1, m.Btc, Side.Buy, 119_000, 10, clientOrderId: 1), 1, 1);
        var orderId = m.Do(order)[0].OrderId;
        var commands = new[]
        {
            order,
            Tokened(Command.AmendOrder(1, orderId, 119_500, 8), 1, 2),
            Tokened(Command.Limit(2, m.Btc, Side.Sell, 121_000, 5, clientOrderId: 1), 2, 1),
            Tokened(Command.CancelOrder(1, orderId), 1, 3),
            Tokened(Command.CancelAllOrders(2), 2, 2),
            Tokened(Command.WithdrawFrom(1, 10 * Market.Usd), Admin, 3),
            Tokened(Command.InsuranceDeposit(5 * Market.Usd), Admin, 4),
            Tokened(Command.Mark(m.Btc, 120_500), Feed, 2),
            Tokened(Command.FundingAt(m.Btc, 100), Feed, 3),
        };
        var outcomes = new Dictionary<(uint, uint), Event>();
        foreach (var c in commands.Skip(1)) outcomes[(c.Origin, c.Token)] = m.Do(c)[0];
        outcomes[(1, 1)] = new Event { Type = EventType.OrderAccepted, OrderId = orderId };
        var before = Testing.ExchangeSnapshot.Of(m.X);
        foreach (var c in commands)
        {
            var d = Assert.Single(m.Do(c));
            Assert.Equal(EventType.Duplicate, d.Type);
            var original = outcomes[(c.Origin, c.Token)];
            Assert.Equal(original.Type == EventType.Rejected ? original.Reason : RejectCode.None, d.OriginalOutcome);
            Assert.Equal(c.Type is CommandType.NewOrder or CommandType.Amend or CommandType.Cancel ? original.OrderId : 0, d.OrderId);
        }
        Assert.Null(Testing.StateComparer.FirstDifference(Testing.ExchangeSnapshot.Of(m.X), before));
        m.AssertInvariants();
    }

    [Fact]
    public void ResentRejectedCommand_AnsweredWithItsRejectCode_NotReevaluated()
    {
        var m = new Market();
        var withdraw = Tokened(Command.WithdrawFrom(1, 5), Admin, 1);
        Assert.Equal(RejectCode.UnknownAccount, Market.RejectOf(m.Do(withdraw)));
        m.Do(Tokened(Command.DepositTo(1, 100), Admin, 2));
        // Now it would pass; it is a resend of token 1, so it stays what it was.
        var d = Assert.Single(m.Do(withdraw));
        Assert.Equal((EventType.Duplicate, RejectCode.UnknownAccount), (d.Type, d.OriginalOutcome));
        Assert.Equal(100, m.X.Balance(1));
        m.AssertInvariants();
    }

    [Fact]
    public void SkippedToken_RejectedDuplicate_AndThatRejectIsItsOutcome()
    {
        var m = new Market();
        m.Do(Tokened(Command.DepositTo(1, 100), Admin, 10));
        var skipped = Tokened(Command.DepositTo(1, 100), Admin, 4);
        var reject = m.Do(skipped);
        Assert.Equal(RejectCode.DuplicateClientOrderId, Market.RejectOf(reject));
        var d = Assert.Single(m.Do(skipped));
        Assert.Equal((EventType.Duplicate, RejectCode.DuplicateClientOrderId, reject[0].Sequence),
            (d.Type, d.OriginalOutcome, d.OriginalSequence));
        Assert.Equal(100, m.X.Balance(1));
        Assert.Equal(11u, m.X.NextToken(Admin));
        m.AssertInvariants();
    }

    [Fact]
    public void TokenOlderThanTheWindow_RejectedStale_NothingExecuted()
    {
        var m = new Market(options: new ExchangeOptions { TokenWindow = 2 });
        for (uint token = 1; token <= 3; token++) m.Do(Tokened(Command.DepositTo(1, 100), Admin, token));
        Assert.Equal(RejectCode.StaleToken, Market.RejectOf(m.Do(Tokened(Command.DepositTo(1, 100), Admin, 1))));
        Assert.Equal(EventType.Duplicate, Assert.Single(m.Do(Tokened(Command.DepositTo(1, 100), Admin, 2))).Type);
        Assert.Equal(300, m.X.Balance(1));
        m.AssertInvariants();
    }

    [Fact]
    public void TopToken_4294967295_ThenOne_BothExecute()
    {
        var m = new Market();
        m.Do(Tokened(Command.DepositTo(1, 100), Admin, uint.MaxValue));
        Assert.Equal(1u, m.X.NextToken(Admin));
        Assert.Equal(EventType.Deposited, m.Do(Tokened(Command.DepositTo(1, 100), Admin, 1))[0].Type);
        Assert.Equal(EventType.Duplicate, Assert.Single(m.Do(Tokened(Command.DepositTo(1, 100), Admin, uint.MaxValue))).Type);
        Assert.Equal(200, m.X.Balance(1));
        m.AssertInvariants();
    }

    [Fact]
    public void OriginOrTokenZero_NotDeduplicated()
    {
        var m = new Market();
        m.Do(Command.DepositTo(1, 100));
        m.Do(Command.DepositTo(1, 100));
        m.Do(Tokened(Command.DepositTo(1, 100), Admin, 0));
        m.Do(Tokened(Command.DepositTo(1, 100), Admin, 0));
        Assert.Equal(400, m.X.Balance(1));
        Assert.Equal(1u, m.X.NextToken(Admin));
        m.AssertInvariants();
    }

    [Fact]
    public void TokenSpacesFull_ANewSpaceIsRejectedAccountLimit()
    {
        var m = new Market(options: new ExchangeOptions { MaxTokenSpaces = 2 });
        m.Do(Tokened(Command.DepositTo(1, 100), Admin, 1));
        m.Do(Tokened(Command.DepositTo(1, 100), Admin + 1, 1));
        Assert.Equal(RejectCode.AccountLimit, Market.RejectOf(m.Do(Tokened(Command.DepositTo(1, 100), Admin + 2, 1))));
        Assert.Equal(200, m.X.Balance(1));
        m.AssertInvariants();
    }

    [Fact]
    public void AccountQuery_NamingATokenSpace_CarriesItsNextToken()
    {
        var m = new Market();
        m.Do(Tokened(Command.DepositTo(1, 100), Admin, 41));
        var q = Command.AccountQuery(1);
        q.Origin = Admin;
        Assert.Equal(42u, m.X.Apply(in q)[^1].NextToken);
        var token = Command.AccountQuery(0);
        token.Origin = 1;
        var answer = m.X.Apply(in token)[^1];
        Assert.Equal((EventType.Rejected, 1u), (answer.Type, answer.NextToken));
        Assert.Equal(0u, m.X.Apply(Command.AccountQuery(1))[^1].NextToken);
    }

    [Fact]
    public void Snapshot_CarriesTheTokenState_ResendAfterRestoreIsStillADuplicate()
    {
        var m = Funded();
        var order = Tokened(Command.Limit(1, m.Btc, Side.Buy, 119_000, 10, clientOrderId: 1), 1, 9);
        var accepted = m.Do(order)[0];
        var restored = new Exchange(m.X.Options);
        restored.AddInstrument(Market.Spec());
        SnapshotCodec.Read(SnapshotCodec.Write(m.X), restored);
        Assert.Equal(m.X.StateHash(), restored.StateHash());
        order.Sequence = m.X.LastSequence + 1;
        var d = Assert.Single(restored.Apply(in order).ToArray());
        Assert.Equal((EventType.Duplicate, accepted.OrderId, accepted.Sequence), (d.Type, d.OrderId, d.OriginalSequence));
        Assert.Equal(10u, restored.NextToken(1));
        Assert.Equal(1, restored.OpenOrders(1));
    }

    [Fact]
    public void StateHash_CoversTheTokenState()
    {
        var m = new Market();
        var before = m.X.StateHash();
        var q = Command.AccountQuery(1);
        m.X.Apply(in q);
        Assert.Equal(before, m.X.StateHash());
        m.Do(Tokened(Command.DepositTo(1, 0), Admin, 1)); // rejected: only the token state changes (and the sequence)
        var a = new Market();
        a.Do(Command.DepositTo(1, 0));
        Assert.NotEqual(a.X.StateHash(), m.X.StateHash());
    }
}
