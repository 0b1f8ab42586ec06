using Exchange.Client;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Hosting;
using static Exchange.Gateway.Tests.Support.TestServer;

namespace Exchange.Gateway.Tests.MarketData;

/// <summary>The drop-copy port: a group's readers get every execution of the group's accounts, and nothing else.</summary>
public sealed class DropCopyTests
{
    [Fact]
    public async Task Executions_OfTheGroupsAccounts_CopiedToItsReader()
    {
        var config = Config() with { DropCopy = [new DropCopyGroupConfig { Name = "desk", Accounts = [1, 2], Users = ["admin"] }] };
        await using var server = new GatewayServer(config, null, null, inProcess: true);
        await server.StartAsync();
        await using var admin = await Login(server.Port, "admin");
        foreach (var account in new[] { 1, 2, 3 })
        {
            var t = await admin.DepositAsync(account, 1_000_000_000_000);
            await admin.WaitForAsync(m => m.Token == t, Wait);
        }
        await using var feed = await Login(server.Port, "feed");
        var mark = await feed.MarkAsync(Btc, 120_000);
        await feed.WaitForAsync(m => m.Token == mark, Wait);
        await using var copy = await ExchangeClient.LoginAsync("127.0.0.1", server.DropCopyPort, "admin", Password("admin"), 1, Wait);
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ExchangeClient.LoginAsync("127.0.0.1", server.DropCopyPort, "t3", Password("t3"), 1, Wait));

        await using var t1 = await Login(server.Port, "t1");
        await using var t2 = await Login(server.Port, "t2");
        await using var t3 = await Login(server.Port, "t3");
        var ask = await t1.PlaceAsync(1, Btc, 1, 120_000, 500);
        await t1.WaitForAsync(m => m.Token == ask, Wait);
        await t2.PlaceAsync(2, Btc, 0, 120_000, 200, tif: 1);   // both sides in the group: two copies
        await t2.WaitForAsync(m => m.Type == 'E', Wait);
        await t3.PlaceAsync(3, Btc, 0, 120_000, 100, tif: 1);   // only the maker's side is in the group: one copy
        await t3.WaitForAsync(m => m.Type == 'E', Wait);

        var copies = new[] { await copy.ReceiveAsync(Wait), await copy.ReceiveAsync(Wait), await copy.ReceiveAsync(Wait) };
        Assert.Equal([('E', 2, 'T', 200L), ('E', 1, 'M', 200L), ('E', 1, 'M', 100L)],
            copies.Select(m => (m.Type, m.Account, m.Liquidity, m.Quantity)));
        Assert.Equal(copies[0].TradeId, copies[1].TradeId);
        Assert.All(copies, m => Assert.Equal(0u, m.Token));
        await Assert.ThrowsAsync<TimeoutException>(() => copy.ReceiveAsync(TimeSpan.FromMilliseconds(200)));
    }

    private static async Task<ExchangeClient> Login(int port, string user)
    {
        var client = await ExchangeClient.LoginAsync("127.0.0.1", port, user, Password(user), 0, Wait);
        await client.QueryAsync(0);
        client.NextToken = (await client.WaitForAsync(m => m.Type == 'Q' && m.Account == 0, Wait)).NextToken;
        return client;
    }
}
