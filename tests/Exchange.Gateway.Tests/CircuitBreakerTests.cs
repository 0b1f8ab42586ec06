using Exchange.Client;
using Exchange.Client.Protocol;
using Exchange.Core.Events;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Tests.Support;
using static Exchange.Gateway.Tests.Support.TestServer;

namespace Exchange.Gateway.Tests;

/// <summary>
/// The circuit breaker over the wire: a feed mark past the band halts BTC (the feed, every trader and market data are
/// told, a trader's new order is refused, a late joiner's snapshot flags it), it resumes by rule after a calm window or
/// when an admin says so (nobody else may), and everyone sees the resume.
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

    [Fact]
    public async Task ACalmWindowAfterTheHalt_ResumesByRule_EveryTraderIsTold_AndLateJoinersSeeTheHalt()
    {
        // 10% band over a window of 3 marks on BTC.
        await using var server = await StartAsync(configure: c => c with
        {
            Instruments = [.. c.Instruments.Select((i, n) => n == Btc ? i with { BreakerBandPpm = 100_000, BreakerWindow = 3 } : i)],
        });
        await server.SetUpAsync(100_000_000_000, (Btc, 120_000));
        var (mdPort, snapshotPort) = (server.Server.MarketDataPort, server.Server.SnapshotPort);
        await using var feed = await server.LoginAsync("feed");
        await using var trader = await server.LoginAsync("t1");
        await using var bystander = await server.LoginAsync("t2");   // has sent nothing: told all the same

        var mark = await feed.MarkAsync(Btc, 100_000);
        Assert.Equal('S', (await feed.WaitForAsync(m => m.Token == mark && m.Type == 'S', Wait)).Type);
        foreach (var t in new[] { trader, bystander })
        {
            var told = await t.WaitForAsync(m => m.Type == 'S', Wait);
            Assert.Equal((0u, Btc, Outbound.Halted, 100_000L, 120_000L), (told.Token, told.Instrument, told.Kind, told.Price, told.Amount));
        }
        // A late joiner during the halt learns it from the snapshot alone.
        await using (var during = await MarketDataClient.JoinAsync("127.0.0.1", mdPort, snapshotPort, "t3", Password("t3"), Wait,
            keepHistory: true))
        {
            Assert.True(during.Read(b => b.IsHalted(Btc)));
            Assert.False(during.Read(b => b.IsHalted(Eth)));
            var flag = Assert.Single(during.History, m => m.Type == 'H');
            Assert.Equal((true, Btc, Outbound.Halted, 100_000L, 120_000L), (flag.InSnapshot, flag.Instrument, flag.Reason, flag.Price, flag.Value));
        }
        var order = await trader.PlaceAsync(1, Btc, 0, 100_000, 10);
        Assert.Equal(RejectCode.InstrumentHalted, (await trader.WaitForAsync(m => m.Token == order, Wait)).RejectCode);

        // Three marks within 10% of each other and of 100,000: the third ends the halt.
        await using var md = await MarketDataClient.LoginAsync("127.0.0.1", mdPort, "t4", Password("t4"), 0, Wait, keepHistory: true);
        foreach (var calm in new long[] { 101_000, 100_500 })
        {
            var m = await feed.MarkAsync(Btc, calm);
            Assert.Equal('M', (await feed.WaitForAsync(x => x.Token == m, Wait)).Type);
        }
        order = await trader.PlaceAsync(1, Btc, 0, 100_000, 10);
        Assert.Equal(RejectCode.InstrumentHalted, (await trader.WaitForAsync(m => m.Token == order, Wait)).RejectCode);
        mark = await feed.MarkAsync(Btc, 100_800);
        var resumed = await feed.WaitForAsync(m => m.Token == mark && m.Type == 'S', Wait);
        Assert.Equal((Btc, Outbound.ResumedByRule, 100_800L, 0L), (resumed.Instrument, resumed.Kind, resumed.Price, resumed.Amount));
        foreach (var t in new[] { trader, bystander })
        {
            var told = await t.WaitForAsync(m => m.Type == 'S' && m.Kind == Outbound.ResumedByRule, Wait);
            Assert.Equal((0u, Btc, 100_800L), (told.Token, told.Instrument, told.Price));
        }
        var onFeed = await WaitForAsync(md, m => m.Type == 'H');
        Assert.Equal((Btc, Outbound.ResumedByRule, 100_800L), (onFeed.Instrument, onFeed.Reason, onFeed.Price));

        order = await trader.PlaceAsync(1, Btc, 0, 100_000, 10);
        Assert.Equal('A', (await trader.WaitForAsync(m => m.Token == order, Wait)).Type);
        await using (var after = await MarketDataClient.JoinAsync("127.0.0.1", mdPort, snapshotPort, "t3", Password("t3"), Wait,
            keepHistory: true))
        {
            Assert.False(after.Read(b => b.IsHalted(Btc)));
            Assert.DoesNotContain(after.History, m => m.Type == 'H');
            Assert.Equal(1, after.Read(b => b.Levels(Btc, 0).Count));
        }
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
