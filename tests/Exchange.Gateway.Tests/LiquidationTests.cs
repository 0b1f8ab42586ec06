using Exchange.Client.Protocol;
using Exchange.Core.Events;
using Exchange.Gateway.Protocol;
using Exchange.Gateway.Tests.Support;
using static Exchange.Gateway.Tests.Support.TestServer;

namespace Exchange.Gateway.Tests;

/// <summary>The price feed moves the mark; the gateway tells the liquidated trader and its ADL counterparty.</summary>
public sealed class LiquidationTests
{
    [Fact]
    public async Task MarkDrop_LiquidatesTheLongTrader_AndTheDeleveragedShortIsNotified()
    {
        await using var server = await StartAsync();
        await using var admin = await server.LoginAsync("admin");
        await using var feed = await server.LoginAsync("feed");
        await admin.DepositAsync(1, 5_000_000_000);     // 5,000 USD
        await admin.DepositAsync(2, 100_000_000_000);   // 100,000 USD
        await admin.InsuranceAsync(1);                   // an (almost) empty insurance fund
        await admin.WaitForAsync(m => m.Type == 'T' && m.Kind == Outbound.InsuranceDepositKind, Wait);
        await feed.MarkAsync(Btc, 120_000);             // 60,000 USD
        await feed.WaitForAsync(m => m.Type == 'M', Wait);

        await using var longTrader = await server.LoginAsync("t1");
        await using var shortTrader = await server.LoginAsync("t2");
        await shortTrader.PlaceAsync(2, Btc, 1, 120_000, 1_000); // 1 BTC
        await shortTrader.WaitForAsync(m => m.Type == 'A', Wait);
        await longTrader.PlaceAsync(1, Btc, 0, 120_000, 1_000, tif: 1);
        Assert.Equal('T', (await longTrader.WaitForAsync(m => m.Type == 'E', Wait)).Liquidity);

        // 56,000 USD: the long loses 4,000 of its ~4,970 USD equity, below 3% maintenance (1,680 USD). Nobody bids.
        var mark = await feed.MarkAsync(Btc, 112_000);
        Assert.Equal('M', (await feed.WaitForAsync(m => m.Token == mark, Wait)).Type);

        var started = await longTrader.WaitForAsync(m => m.Type == 'L', Wait);
        Assert.Equal(Outbound.Started, started.Kind);
        Assert.True(started.Amount < started.Amount2);
        var closed = await longTrader.WaitForAsync(m => m.Type == 'V', Wait);
        Assert.Equal((Outbound.Liquidated, (byte)1, 1_000L), (closed.Kind, closed.Side, closed.Quantity));
        var ended = await longTrader.WaitForAsync(m => m.Type == 'L', Wait);
        Assert.Equal(Outbound.Ended, ended.Kind);
        Assert.Equal(0, (await longTrader.WaitForAsync(m => m.Type == 'P', Wait)).Position);

        var notice = await shortTrader.WaitForAsync(m => m.Type == 'V', Wait);
        Assert.Equal((Outbound.Deleveraged, (byte)0, 1_000L, Btc), (notice.Kind, notice.Side, notice.Quantity, notice.Instrument));
        Assert.Equal(0, (await shortTrader.WaitForAsync(m => m.Type == 'P', Wait)).Position);
        Assert.Equal(0u, notice.Token); // the feed's message caused it, not the trader's

        await shortTrader.QueryAsync(2);
        var state = await shortTrader.WaitForAsync(m => m.Type == 'Q', Wait);
        Assert.Empty(state.Positions);
        await server.StopAndCheckAsync();
    }
}
