using Exchange.Client.Protocol;
using Exchange.Client;
using Exchange.Core.Events;
using Exchange.Gateway.Protocol;
using Exchange.Gateway.Tests.Support;
using static Exchange.Gateway.Tests.Support.TestServer;

namespace Exchange.Gateway.Tests;

/// <summary>Orders over real sockets through the real pipeline; every test ends with the invariants on the core.</summary>
public sealed class OrderFlowTests
{
    private const long Money = 1_000_000_000_000; // 1,000,000 USD
    private const long Price = 120_000;           // 60,000 USD in 0.5 ticks

    [Theory]
    [InlineData("single", true)]
    [InlineData("parallel", true)]
    [InlineData("parallel", false)]
    public async Task CrossingOrders_ExecutionsAndUpdates_ReachBothSides(string topology, bool inlineIo)
    {
        await using var server = await StartAsync(topology: topology, inlineIo: inlineIo);
        await server.SetUpAsync(Money, (Btc, Price));
        await using var maker = await server.LoginAsync("t1");
        await using var taker = await server.LoginAsync("t2");

        var makerToken = await maker.PlaceAsync(1, Btc, side: 1, Price, 500);
        var accepted = await maker.WaitForAsync(m => m.Token == makerToken, Wait);
        Assert.Equal('A', accepted.Type);
        var takerToken = await taker.PlaceAsync(2, Btc, side: 0, Price, 200, tif: 1);
        Assert.Equal('A', (await taker.WaitForAsync(m => m.Token == takerToken, Wait)).Type);

        var takerFill = await taker.WaitForAsync(m => m.Type == 'E', Wait);
        var makerFill = await maker.WaitForAsync(m => m.Type == 'E', Wait);
        Assert.Equal(takerFill.TradeId, makerFill.TradeId);
        Assert.Equal(('T', 0, 200L, Price), (takerFill.Liquidity, (int)takerFill.Side, takerFill.Quantity, takerFill.Price));
        Assert.Equal(('M', 1, 200L, Price), (makerFill.Liquidity, (int)makerFill.Side, makerFill.Quantity, makerFill.Price));
        Assert.Equal(accepted.OrderId, makerFill.OrderId);
        Assert.Equal(makerToken, makerFill.OrderToken);
        Assert.Equal(0u, makerFill.Token); // caused by another user's message
        Assert.Equal(takerToken, takerFill.Token);
        // 200 lots x 120,000 ticks x 500 = 12,000 USD notional: taker 0.05% = 6 USD, maker 0.02% = 2.4 USD.
        Assert.Equal(6_000_000, takerFill.Fee);
        Assert.Equal(2_400_000, makerFill.Fee);

        var position = await taker.WaitForAsync(m => m.Type == 'P', Wait);
        Assert.Equal((200L, 12_000_000_000L), (position.Position, position.Cost));
        var balance = await taker.WaitForAsync(m => m.Type == 'B', Wait);
        Assert.Equal(Money - 6_000_000, balance.Balance);
        Assert.Equal(-200, (await maker.WaitForAsync(m => m.Type == 'P', Wait)).Position);
        await server.StopAndCheckAsync();
    }

    [Fact]
    public async Task ReplaceCancelAndCancelAll_EachAnsweredWithItsOutcome()
    {
        await using var server = await StartAsync();
        await server.SetUpAsync(Money, (Btc, Price), (Eth, 60_000));
        await using var t1 = await server.LoginAsync("t1");
        var a = await t1.PlaceAsync(1, Btc, 0, Price - 10, 100);
        var order = await t1.WaitForAsync(m => m.Token == a, Wait);

        var shrink = await t1.ReplaceAsync(1, order.OrderId, 0, Price - 10, 50);
        var replaced = await t1.WaitForAsync(m => m.Token == shrink, Wait);
        Assert.Equal(('U', 50L, (byte)1, a), (replaced.Type, replaced.Quantity, replaced.Flags, replaced.OrderToken));
        var move = await t1.ReplaceAsync(1, 0, a, Price - 20, 0); // by order token
        var moved = await t1.WaitForAsync(m => m.Token == move, Wait);
        Assert.Equal(('U', Price - 20, (byte)0), (moved.Type, moved.Price, moved.Flags));

        var cancel = await t1.CancelAsync(1, order.OrderId);
        var canceled = await t1.WaitForAsync(m => m.Token == cancel, Wait);
        Assert.Equal(('C', CancelReason.User, 50L), (canceled.Type, canceled.CancelReason, canceled.Quantity));
        var again = await t1.CancelAsync(1, order.OrderId);
        Assert.Equal(RejectCode.UnknownOrder, (await t1.WaitForAsync(m => m.Token == again, Wait)).RejectCode);

        await t1.PlaceAsync(1, Btc, 0, Price - 30, 10);
        await t1.PlaceAsync(1, Eth, 1, 61_000, 10);
        await t1.PlaceAsync(1, Eth, 1, 61_500, 10);
        var all = await t1.CancelAllAsync(1, Eth);
        var done = await t1.WaitForAsync(m => m.Type == 'K', Wait);
        Assert.Equal((all, 2u, Eth), (done.Token, done.Count, done.Instrument));
        Assert.Equal(2, t1.History.Count(m => m.Type == 'C' && m.Token == all));
        await server.StopAndCheckAsync();
    }

    [Fact]
    public async Task CoreRejection_ReturnsTheRulebookCode()
    {
        await using var server = await StartAsync();
        await server.SetUpAsync(1_000_000, (Btc, Price));
        await using var t1 = await server.LoginAsync("t1");
        var outOfBand = await t1.PlaceAsync(1, Btc, 0, Price * 2, 1);
        Assert.Equal(RejectCode.PriceOutOfBand, (await t1.WaitForAsync(m => m.Token == outOfBand, Wait)).RejectCode);
        var tooBig = await t1.PlaceAsync(1, Btc, 0, Price, 10_000);
        Assert.Equal(RejectCode.InsufficientMargin, (await t1.WaitForAsync(m => m.Token == tooBig, Wait)).RejectCode);
        var noMark = await t1.PlaceAsync(1, Eth, 0, 100, 1);
        var rejected = await t1.WaitForAsync(m => m.Token == noMark, Wait);
        Assert.Equal(('J', 'O', RejectCode.NoMarkPrice, Eth), (rejected.Type, rejected.RejectedType, rejected.RejectCode, rejected.Instrument));
        await server.StopAndCheckAsync();
    }

    [Fact]
    public async Task Roles_ActingOutsideThem_NotAuthorized()
    {
        await using var server = await StartAsync();
        await server.SetUpAsync(Money, (Btc, Price));
        await using var t1 = await server.LoginAsync("t1");
        await using var feed = await server.LoginAsync("feed");
        await using var admin = await server.LoginAsync("admin");

        async Task Expect(ExchangeClient c, uint token)
        {
            var m = await c.WaitForAsync(x => x.Token == token, Wait);
            Assert.Equal(('J', RejectCode.NotAuthorized), (m.Type, m.RejectCode));
        }
        await Expect(t1, await t1.PlaceAsync(2, Btc, 0, Price, 1));           // another account
        await Expect(t1, await t1.CancelAllAsync(3));
        await Expect(t1, await t1.DepositAsync(1, 1_000));                    // admin's message
        await Expect(t1, await t1.MarkAsync(Btc, Price));                     // the feed's message
        await Expect(feed, await feed.DepositAsync(1, 1_000));
        await Expect(feed, await feed.PlaceAsync(1, Btc, 0, Price, 1));
        await Expect(admin, await admin.MarkAsync(Btc, Price));
        await Expect(admin, await admin.PlaceAsync(1, Btc, 0, Price, 1));
        await t1.QueryAsync(2, token: 77);
        Assert.Equal(RejectCode.NotAuthorized, (await t1.WaitForAsync(m => m.Token == 77, Wait)).RejectCode);
        await feed.QueryAsync(1, token: 78);
        Assert.Equal(RejectCode.NotAuthorized, (await feed.WaitForAsync(m => m.Token == 78, Wait)).RejectCode);

        // Nothing reached the exchange: account 1 has no order and its balance is untouched.
        await admin.QueryAsync(1, token: 79);
        var state = await admin.WaitForAsync(m => m.Token == 79, Wait);
        Assert.Equal(('Q', 0u, Money), (state.Type, state.Count, state.Balance));
        await server.StopAndCheckAsync();
    }

    [Fact]
    public async Task DuplicateToken_ProcessedBefore_AnsweredWithTheOriginalOutcomeAndNotExecutedAgain()
    {
        await using var server = await StartAsync();
        await server.SetUpAsync(Money, (Btc, Price));
        await using var t1 = await server.LoginAsync("t1");
        var order = Inbound.NewOrder(5, 1, Btc, 0, 0, 0, 0, 0, Price - 100, 10);
        await t1.SendAsync(order);
        var first = await t1.WaitForAsync(m => m.Token == 5, Wait);
        Assert.Equal('A', first.Type);

        await t1.SendAsync(order); // resent: same token
        var copy = await t1.WaitForAsync(m => m.Token == 5, Wait);
        Assert.Equal(first.Raw, copy.Raw);
        Assert.Equal(first.Sequence + 1, copy.Sequence);

        // A token below the highest that was never used is refused, and that refusal is its outcome from then on.
        await t1.SendAsync(Inbound.NewOrder(3, 1, Btc, 0, 0, 0, 0, 0, Price - 100, 10));
        var skipped = await t1.WaitForAsync(m => m.Token == 3, Wait);
        Assert.Equal(RejectCode.DuplicateClientOrderId, skipped.RejectCode);
        await t1.SendAsync(Inbound.NewOrder(3, 1, Btc, 0, 0, 0, 0, 0, Price - 100, 10));
        Assert.Equal(skipped.Raw, (await t1.WaitForAsync(m => m.Token == 3, Wait)).Raw);

        await t1.QueryAsync(1);
        var state = await t1.WaitForAsync(m => m.Type == 'Q', Wait);
        Assert.Equal((1u, 6u), (state.Count, state.NextToken)); // one open order; next token after 5
        await server.StopAndCheckAsync();
    }

    [Fact]
    public async Task DuplicateToken_SentBackToBack_ExecutedOnceAnsweredTwice()
    {
        await using var server = await StartAsync();
        await server.SetUpAsync(Money, (Btc, Price));
        await using var t1 = await server.LoginAsync("t1");
        var order = Inbound.NewOrder(9, 1, Btc, 0, 0, 0, 0, 0, Price - 100, 10);
        var packet = new byte[(3 + order.Length) * 3];
        for (var i = 0; i < 3; i++)
        {
            packet[i * (3 + order.Length) + 1] = (byte)(order.Length + 1);
            packet[i * (3 + order.Length) + 2] = PacketType.UnsequencedData;
            order.CopyTo(packet, i * (3 + order.Length) + 3);
        }
        await t1.SendRawAsync(packet); // three copies in one write: the later two may arrive while the first is in flight
        var answers = new List<ServerMessage>();
        for (var i = 0; i < 3; i++) answers.Add(await t1.WaitForAsync(m => m.Token == 9, Wait));
        Assert.All(answers, a => Assert.Equal(answers[0].Raw, a.Raw));
        Assert.Equal('A', answers[0].Type);
        await t1.QueryAsync(1);
        Assert.Equal(1u, (await t1.WaitForAsync(m => m.Type == 'Q', Wait)).Count);
        await server.StopAndCheckAsync();
    }

    [Fact]
    public async Task Query_AfterTrades_ReportsPositionsMarginAdlQuintileAndNextToken()
    {
        await using var server = await StartAsync();
        await server.SetUpAsync(Money, (Btc, Price));
        await using var t1 = await server.LoginAsync("t1");
        await using var t2 = await server.LoginAsync("t2");
        await t2.PlaceAsync(2, Btc, 1, Price, 300);
        await t2.WaitForAsync(m => m.Type == 'A', Wait);
        await t1.PlaceAsync(1, Btc, 0, Price, 300, tif: 1);
        await t1.PlaceAsync(1, Btc, 0, Price - 50, 40);
        await t1.QueryAsync(1, token: 1234); // answered after both orders, whatever the timing
        var q = await t1.WaitForAsync(m => m.Type == 'Q', Wait);
        Assert.Equal((1234u, 1, 3u, 1u), (q.Token, q.Account, q.NextToken, q.Count));
        var p = Assert.Single(q.Positions);
        Assert.Equal((Btc, 300L, 40L, 0L, (byte)5), (p.Instrument, p.Position, p.OpenBuyLots, p.OpenSellLots, p.AdlQuintile));
        Assert.Equal(300L * Price * 500, p.Cost);
        Assert.True(q.Maintenance > 0 && q.FreeMargin < q.Equity);
        await server.StopAndCheckAsync();
    }

    [Fact]
    public async Task AdminMoney_DepositWithdrawInsurance_ReachAdminAndTrader()
    {
        await using var server = await StartAsync();
        await using var admin = await server.LoginAsync("admin");
        await using var t3 = await server.LoginAsync("t3");
        var d = await admin.DepositAsync(3, 5_000_000);
        Assert.Equal(('T', (byte)1, 3, 5_000_000L), Pick(await admin.WaitForAsync(m => m.Token == d, Wait)));
        var w = await admin.WithdrawAsync(3, 2_000_000);
        Assert.Equal(('T', (byte)2, 3, 2_000_000L), Pick(await admin.WaitForAsync(m => m.Token == w, Wait)));
        var i = await admin.InsuranceAsync(7_000_000);
        Assert.Equal(('T', (byte)3, 0, 7_000_000L), Pick(await admin.WaitForAsync(m => m.Token == i, Wait)));
        var over = await admin.WithdrawAsync(3, 9_000_000);
        Assert.Equal(RejectCode.InsufficientBalance, (await admin.WaitForAsync(m => m.Token == over, Wait)).RejectCode);

        Assert.Equal(('T', (byte)1, 3, 5_000_000L), Pick(await t3.WaitForAsync(m => m.Type == 'T', Wait)));
        Assert.Equal(5_000_000, (await t3.WaitForAsync(m => m.Type == 'B', Wait)).Balance);
        Assert.Equal(('T', (byte)2, 3, 2_000_000L), Pick(await t3.WaitForAsync(m => m.Type == 'T', Wait)));
        Assert.Equal(3_000_000, (await t3.WaitForAsync(m => m.Type == 'B', Wait)).Balance);
        await server.StopAndCheckAsync();

        static (char, byte, int, long) Pick(ServerMessage m) => (m.Type, m.Kind, m.Account, m.Amount);
    }

    [Fact]
    public async Task Funding_FromTheFeed_PaysPositionsAndReportsTheDust()
    {
        await using var server = await StartAsync();
        await server.SetUpAsync(Money, (Btc, Price));
        await using var t1 = await server.LoginAsync("t1");
        await using var t2 = await server.LoginAsync("t2");
        await using var feed = await server.LoginAsync("feed");
        await t2.PlaceAsync(2, Btc, 1, Price, 3);
        await t2.WaitForAsync(m => m.Type == 'A', Wait);
        await t1.PlaceAsync(1, Btc, 0, Price, 3, tif: 1);
        await t1.WaitForAsync(m => m.Type == 'E', Wait);
        var f = await feed.FundingAsync(Btc, 100);
        var applied = await feed.WaitForAsync(m => m.Token == f, Wait);
        Assert.Equal(('W', 100L, 2u), (applied.Type, applied.Amount, applied.Count));
        // 3 lots x 120,000 x 500 = 180,000,000 units notional; 100 ppm = 18,000 either way.
        Assert.Equal(-18_000, (await t1.WaitForAsync(m => m.Type == 'R', Wait)).Amount);
        Assert.Equal(18_000, (await t2.WaitForAsync(m => m.Type == 'R', Wait)).Amount);
        await server.StopAndCheckAsync();
    }
}
