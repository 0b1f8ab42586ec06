using Exchange.Core.Events;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Tests.Support;
using static Exchange.Gateway.Tests.Support.TestServer;

namespace Exchange.Gateway.Tests;

/// <summary>
/// The configuration keys that bound what the core keeps (docs/operations.md, "Memory and disk bounds"), over real
/// sockets: past each bound a command is refused with its code and nothing grows.
/// </summary>
public sealed class StateBoundsTests
{
    private const long Money = 1_000_000_000_000; // 1,000,000 USD
    private const long Price = 120_000;           // 60,000 USD in 0.5 ticks

    [Fact]
    public void EmbeddedDefault_BoundsAccountsAndOrders_AndTheCoreGetsThem()
    {
        var config = ConfigLoader.Default();
        Assert.Equal((1_000_000, 1_000), (config.MaxAccountId, config.MaxOpenOrdersPerAccount));
        var record = new GatewayConfig();
        Assert.Equal((record.MaxAccountId, record.MaxOpenOrdersPerAccount), (config.MaxAccountId, config.MaxOpenOrdersPerAccount));
        var options = (config with { MaxAccountId = 77, MaxOpenOrdersPerAccount = 5 }).ToExchangeOptions();
        Assert.Equal((77, 5), (options.MaxAccountId, options.MaxOpenOrdersPerAccount));
        Assert.Throws<InvalidDataException>((config with { MaxAccountId = 0 }).Validate);
        Assert.Throws<InvalidDataException>((config with { MaxAccountId = 16_777_216 }).Validate);
        Assert.Throws<InvalidDataException>((config with { MaxOpenOrdersPerAccount = 0 }).Validate);
    }

    [Fact]
    public async Task DepositPastMaxAccountId_AccountLimit_AndNoAccountIsCreated()
    {
        await using var server = await StartAsync(configure: c => c with { MaxAccountId = 100 });
        await server.SetUpAsync(Money, (Btc, Price));
        await using var admin = await server.LoginAsync("admin");
        var at = await admin.DepositAsync(100, 1_000);
        Assert.Equal('T', (await admin.WaitForAsync(m => m.Token == at, Wait)).Type);
        foreach (var account in new[] { 101, 1_000_000, 16_000_000 })
        {
            var past = await admin.DepositAsync(account, 1_000);
            var m = await admin.WaitForAsync(x => x.Token == past, Wait);
            Assert.Equal(('J', RejectCode.AccountLimit), (m.Type, m.RejectCode));
        }
        await server.StopAndCheckAsync();
        // The dense account arrays reach id 100 and no further.
        Assert.Equal(100, server.Server.Exchange.MaxAccountId);
    }

    [Fact]
    public async Task RestingOrdersPastMaxOpenOrdersPerAccount_TooManyOpenOrders_AndTheBookKeepsTheRest()
    {
        await using var server = await StartAsync(configure: c => c with { MaxOpenOrdersPerAccount = 3 });
        await server.SetUpAsync(Money, (Btc, Price));
        await using var t1 = await server.LoginAsync("t1");
        for (var i = 0; i < 3; i++)
        {
            var token = await t1.PlaceAsync(1, Btc, 0, Price - 10 - i, 1);
            Assert.Equal('A', (await t1.WaitForAsync(m => m.Token == token, Wait)).Type);
        }
        for (var i = 0; i < 20; i++)
        {
            var token = await t1.PlaceAsync(1, Btc, 0, Price - 100 - i, 1);
            var m = await t1.WaitForAsync(x => x.Token == token, Wait);
            Assert.Equal(('J', RejectCode.TooManyOpenOrders), (m.Type, m.RejectCode));
        }
        await server.StopAndCheckAsync();
        Assert.Equal(3, server.Server.Exchange.OrdersOf(1).Count);
    }
}
