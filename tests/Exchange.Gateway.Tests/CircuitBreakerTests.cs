using Exchange.Client;
using Exchange.Client.Protocol;
using Exchange.Core.Events;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Tests.Support;
using static Exchange.Gateway.Tests.Support.TestServer;

namespace Exchange.Gateway.Tests;

/// <summary>
/// The circuit breaker over the wire: a feed mark past the band halts BTC (the feed and market data are told, a
/// trader's new order is refused), only an admin may resume, and market data sees the resume.
/// </summary>
public sealed class CircuitBreakerTests
{
    [Fact]
    public async Task MarkPastTheBand_Halts_AndOnlyAnAdminResumes()
    {
        // 10% band on BTC: 120,000 ticks then 100,000 (−16.7%) breaches.
        await using var server = await StartAsync(configure: c => c with
        {
            Instruments = [.. c.Instruments.Select((i, n) => n == Btc ? i with { BreakerBandPpm = 100_000 } : i)],
        });
        await server.SetUpAsync(100_000_000_000, (Btc, 120_000));
        await using var md = await MarketDataClient.LoginAsync("127.0.0.1", server.Server.MarketDataPort, "t4", Password("t4"), 0,
            Wait, keepHistory: true);
        await using var admin = await server.LoginAsync("admin");
        await using var feed = await server.LoginAsync("feed");
        await using var trader = await server.LoginAsync("t1");

        var mark = await feed.MarkAsync(Btc, 100_000);
        var halted = await feed.WaitForAsync(m => m.Token == mark && m.Type == 'S', Wait);
        Assert.Equal((Btc, Outbound.Halted, 100_000L, 120_000L), (halted.Instrument, halted.Kind, halted.Price, halted.Amount));
        var haltedFeed = await WaitForAsync(md, m => m.Type == 'H');
        Assert.Equal((Btc, Outbound.Halted, 100_000L, 120_000L), (haltedFeed.Instrument, haltedFeed.Reason, haltedFeed.Price, haltedFeed.Value));

        var order = await trader.PlaceAsync(1, Btc, 0, 100_000, 10);
        var refused = await trader.WaitForAsync(m => m.Token == order, Wait);
        Assert.Equal(('J', RejectCode.InstrumentHalted), (refused.Type, refused.RejectCode));

        // Not an admin: refused at the gateway, nothing reaches the exchange; the instrument stays halted.
        var traderResume = await trader.ResumeAsync(Btc);
        var denied = await trader.WaitForAsync(m => m.Token == traderResume, Wait);
        Assert.Equal(('J', RejectCode.NotAuthorized, 'R'), (denied.Type, denied.RejectCode, denied.RejectedType));
        var feedResume = await feed.ResumeAsync(Btc);
        Assert.Equal(RejectCode.NotAuthorized, (await feed.WaitForAsync(m => m.Token == feedResume, Wait)).RejectCode);

        var resume = await admin.ResumeAsync(Btc);
        var resumed = await admin.WaitForAsync(m => m.Token == resume, Wait);
        Assert.Equal(('S', Btc, Outbound.ResumedByAdmin, 100_000L), (resumed.Type, resumed.Instrument, resumed.Kind, resumed.Price));
        var resumedFeed = await WaitForAsync(md, m => m.Type == 'H' && m.Reason != Outbound.Halted);
        Assert.Equal((Btc, Outbound.ResumedByAdmin, 100_000L), (resumedFeed.Instrument, resumedFeed.Reason, resumedFeed.Price));
        Assert.Equal(1, md.History.Count(m => m.Type == 'H' && m.Reason == Outbound.Halted));

        // A second resume has nothing to end: the exchange's reject, with the instrument echoed.
        var again = await admin.ResumeAsync(Btc);
        var notHalted = await admin.WaitForAsync(m => m.Token == again, Wait);
        Assert.Equal(('J', RejectCode.InstrumentNotHalted, Btc), (notHalted.Type, notHalted.RejectCode, notHalted.Instrument));

        order = await trader.PlaceAsync(1, Btc, 0, 100_000, 10);
        Assert.Equal('A', (await trader.WaitForAsync(m => m.Token == order, Wait)).Type);
        await server.StopAndCheckAsync();
    }

    private static async Task<MarketDataMessage> WaitForAsync(MarketDataClient md, Func<MarketDataMessage, bool> match)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (true)
        {
            foreach (var m in md.History)
                if (match(m)) return m;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the market data did not show it in time");
            await Task.Delay(5);
        }
    }
}
