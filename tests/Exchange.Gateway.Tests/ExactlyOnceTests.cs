using Exchange.Client;
using Exchange.Client.Protocol;
using Exchange.Core.Events;
using Exchange.Gateway.Tests.Support;
using static Exchange.Gateway.Tests.Support.TestServer;

namespace Exchange.Gateway.Tests;

/// <summary>
/// docs/protocol.md section 7 over real sockets, with real journal files and a restart of the server: a resend of
/// every inbound message type is answered with its original outcome byte for byte while the stream holds it, before and
/// after a restart (the stream and its outcome marks are persisted); it is never executed twice.
/// </summary>
public sealed class ExactlyOnceTests
{
    private const long Money = 1_000_000_000_000;
    private const long Price = 120_000;

    private sealed record Sent(string User, byte[] Message, uint Token, ServerMessage Outcome);

    private static async Task<Sent> DoAsync(ExchangeClient client, string user, Func<uint, byte[]> build)
    {
        var token = client.NextToken++;
        var message = build(token);
        await client.SendAsync(message);
        return new Sent(user, message, token, await client.WaitForAsync(m => IsOutcome(m, token, message), Wait));
    }

    /// <summary>A message with the token that is the outcome (a cancel-all's K or J, not the C of each order).</summary>
    private static bool IsOutcome(ServerMessage m, uint token, byte[] message) =>
        m.Token == token && !(message[0] == Inbound.CancelAll && m.Type == 'C');

    /// <summary>Everything a resend could change twice: balances, positions, open orders, ids, ledgers.</summary>
    private static string StateOf(Core.Exchange x)
    {
        var accounts = string.Join(";", Enumerable.Range(1, x.MaxAccountId).Where(x.AccountExists)
            .Select(a => $"{a}:{x.Balance(a)}/{x.PositionQty(a, Btc)}/{x.PositionCost(a, Btc)}/{x.OpenOrders(a)}"));
        return $"{accounts} ins={x.Insurance} fees={x.Fees} dep={x.Deposits} wd={x.Withdrawals} order={x.LastOrderId} " +
            $"trade={x.LastTradeId} mark={x.Mark(Btc)}";
    }

    [Fact]
    public async Task EveryMessageType_ResentBeforeAndAfterARestart_ExecutedOnce_AnsweredWithItsOutcome()
    {
        var first = await StartAsync();
        await first.SetUpAsync(Money, (Btc, Price));
        var sent = new List<Sent>();
        uint adminNext, feedNext, t1Next;
        await using (var admin = await first.LoginAsync("admin"))
        await using (var feed = await first.LoginAsync("feed"))
        await using (var t1 = await first.LoginAsync("t1"))
        await using (var t2 = await first.LoginAsync("t2"))
        await using (var t3 = await first.LoginAsync("t3"))
        {
            sent.Add(await DoAsync(admin, "admin", t => Inbound.DepositTo(t, 1, 5_000_000)));
            sent.Add(await DoAsync(admin, "admin", t => Inbound.WithdrawFrom(t, 2, 7_000_000)));
            sent.Add(await DoAsync(admin, "admin", t => Inbound.Insurance(t, 3_000_000)));
            sent.Add(await DoAsync(t2, "t2", t => Inbound.NewOrder(t, 2, Btc, 1, 0, 0, 0, 0, Price, 5)));
            sent.Add(await DoAsync(t1, "t1", t => Inbound.NewOrder(t, 1, Btc, 0, 0, 1, 0, 0, Price, 5))); // IOC: trades 5
            sent.Add(await DoAsync(feed, "feed", t => Inbound.Mark(t, Btc, Price + 20)));
            sent.Add(await DoAsync(feed, "feed", t => Inbound.FundingRate(t, Btc, 100)));
            var rest = await DoAsync(t1, "t1", t => Inbound.NewOrder(t, 1, Btc, 0, 0, 0, 0, 0, Price - 100, 3));
            sent.Add(rest);
            sent.Add(await DoAsync(t1, "t1", t => Inbound.Replace(t, 1, rest.Outcome.OrderId, 0, Price - 101, 2)));
            var doomed = await DoAsync(t1, "t1", t => Inbound.NewOrder(t, 1, Btc, 0, 0, 0, 0, 0, Price - 200, 2));
            sent.Add(doomed);
            sent.Add(await DoAsync(t1, "t1", t => Inbound.Cancel(t, 1, doomed.Outcome.OrderId, 0)));
            sent.Add(await DoAsync(t3, "t3", t => Inbound.NewOrder(t, 3, Btc, 0, 0, 0, 0, 0, Price - 300, 1)));
            sent.Add(await DoAsync(t3, "t3", t => Inbound.CancelAllOrders(t, 3)));
            sent.Add(await DoAsync(t1, "t1", t => Inbound.WithdrawFrom(t, 1, 1))); // NOT_AUTHORIZED: consumes nothing
            Assert.Equal(
                "TTTAAMWAUACAKJ",
                string.Concat(sent.Select(s => s.Outcome.Type)));
            sent.RemoveAt(sent.Count - 1);
            t1.NextToken--;
            (adminNext, feedNext, t1Next) = (admin.NextToken, feed.NextToken, t1.NextToken);

            // Resent in the same run: the original outcome again, byte for byte, and nothing executed.
            var before = StateOf(first.Server.Exchange);
            var clients = new Dictionary<string, ExchangeClient> { ["admin"] = admin, ["feed"] = feed, ["t1"] = t1, ["t2"] = t2, ["t3"] = t3 };
            foreach (var s in sent)
            {
                await clients[s.User].SendAsync(s.Message);
                var copy = await clients[s.User].WaitForAsync(m => IsOutcome(m, s.Token, s.Message), Wait);
                Assert.Equal(s.Outcome.Raw, copy.Raw);
            }
            await admin.QueryAsync(1);
            await admin.WaitForAsync(m => m.Type == 'Q' && m.Account == 1, Wait);
            Assert.Equal(before, StateOf(first.Server.Exchange));
        }
        await first.Server.StopAsync();
        var stopped = StateOf(first.Server.Exchange);

        // A restart on the journal files: the core recovers the token state with the rest.
        await using var second = await first.RestartAsync();
        Assert.Equal(stopped, StateOf(second.Server.Exchange));
        var users = new Dictionary<string, ExchangeClient>();
        foreach (var user in new[] { "admin", "feed", "t1", "t2", "t3" }) users[user] = await second.LoginAsync(user);
        Assert.Equal((adminNext, feedNext, t1Next), (users["admin"].NextToken, users["feed"].NextToken, users["t1"].NextToken));
        foreach (var s in sent)
        {
            await users[s.User].SendAsync(s.Message);
            var answer = await users[s.User].WaitForAsync(m => IsOutcome(m, s.Token, s.Message), Wait);
            // The stream outlived the restart with its outcome marks: the original outcome again, byte for byte (an
            // order's A with its order id), not STALE_TOKEN.
            Assert.Equal(s.Outcome.Raw, answer.Raw);
        }
        await users["admin"].QueryAsync(1);
        await users["admin"].WaitForAsync(m => m.Type == 'Q' && m.Account == 1, Wait);
        foreach (var c in users.Values) await c.DisposeAsync();
        await second.Server.StopAsync();
        Assert.Equal(stopped, StateOf(second.Server.Exchange));
        await second.StopAndCheckAsync();
        await first.DisposeAsync();
    }

    [Fact]
    public async Task TopToken_4294967295_ThenOne_BothExecuted_NothingLocksTheUserOut()
    {
        await using var server = await StartAsync();
        await server.SetUpAsync(Money, (Btc, Price));
        await using var t1 = await server.LoginAsync("t1");
        await t1.SendAsync(Inbound.NewOrder(uint.MaxValue, 1, Btc, 0, 0, 0, 0, 0, Price - 100, 1));
        Assert.Equal('A', (await t1.WaitForAsync(m => m.Token == uint.MaxValue, Wait)).Type);
        await t1.QueryAsync(0);
        Assert.Equal(1u, (await t1.WaitForAsync(m => m.Type == 'Q', Wait)).NextToken);
        await t1.SendAsync(Inbound.NewOrder(1, 1, Btc, 0, 0, 0, 0, 0, Price - 101, 1));
        Assert.Equal('A', (await t1.WaitForAsync(m => m.Token == 1, Wait)).Type);
        await t1.QueryAsync(1);
        var q = await t1.WaitForAsync(m => m.Type == 'Q' && m.Account == 1, Wait);
        Assert.Equal((2u, 2u), (q.NextToken, q.Count));
        await server.StopAndCheckAsync();
    }
}
