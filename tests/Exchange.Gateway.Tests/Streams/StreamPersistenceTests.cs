using Exchange.Client;
using Exchange.Client.Protocol;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Tests.Support;
using static Exchange.Gateway.Tests.Support.TestServer;

namespace Exchange.Gateway.Tests.Streams;

/// <summary>
/// The streams outlive the server (docs/protocol.md section 8): over real sockets and real files, a restart on the same
/// journal directory keeps the session id and every stream, byte for byte, and the retention window bounds memory and
/// disk and refuses a replay from before it.
/// </summary>
public sealed class StreamPersistenceTests
{
    private const long Price = 120_000;

    [Fact]
    public async Task Restart_SameDirectory_SameSession_ReplayFromN_ByteIdentical_ThenLive()
    {
        var first = await StartAsync();
        await first.SetUpAsync(1_000_000_000_000, (Btc, Price));
        List<ServerMessage> before;
        long last;
        await using (var watcher = await first.LoginAsync("t1", sequence: 1))
        await using (var t1 = await first.LoginAsync("t1"))
        await using (var t2 = await first.LoginAsync("t2"))
        {
            for (var i = 0; i < 20; i++) await t1.PlaceAsync(1, Btc, 1, Price + i % 4, 2);
            await t1.WaitForAsync(m => m.Type == 'A' && m.Token == t1.NextToken - 1, Wait);
            var take = await t2.PlaceAsync(2, Btc, 0, Price + 3, 15, tif: 1);
            await t2.WaitForAsync(m => m.Token == take && m.Type == 'E', Wait);
            await t1.QueryAsync(1);
            last = (await watcher.WaitForAsync(m => m.Type == 'Q' && m.Account == 1, Wait)).Sequence;
            before = watcher.History.Where(m => m.Sequence <= last).ToList();
        }
        var session = first.Server.SessionId;
        await first.Server.StopAsync();

        await using var second = await first.RestartAsync();
        Assert.Equal(session, second.Server.SessionId);
        await using var back = await ExchangeClient.ConnectAsync("127.0.0.1", second.Port);
        const long from = 5;
        var login = await back.LoginAsync("t1", Password("t1"), from, session, Wait);
        Assert.True(login.Accepted, login.Debug);
        Assert.Equal(from, login.NextSequence);
        var replayed = new List<ServerMessage>();
        while (replayed.Count == 0 || replayed[^1].Sequence < last) replayed.Add(await back.ReceiveAsync(Wait));
        Assert.Equal(before.Where(m => m.Sequence >= from).Select(m => m.Raw), replayed.Select(m => m.Raw));
        Assert.Contains(replayed, m => m.Type == 'E');

        // Then live: the next message continues the numbering.
        await back.QueryAsync(1);
        Assert.Equal(last + 1, (await back.ReceiveAsync(Wait)).Sequence);
        await second.StopAndCheckAsync();
        await first.DisposeAsync();
    }

    [Fact]
    public async Task Restart_MarketData_LateJoinerGetsTheBook_AndTheOrderLogContinues()
    {
        var first = await StartAsync();
        await first.SetUpAsync(1_000_000_000_000, (Btc, Price));
        long[] resting;
        await using (var t1 = await first.LoginAsync("t1"))
        {
            for (var i = 0; i < 5; i++) await t1.PlaceAsync(1, Btc, 0, Price - 10 - i, 3);
            await t1.WaitForAsync(m => m.Type == 'A' && m.Token == t1.NextToken - 1, Wait);
            var cancel = await t1.CancelAsync(1, t1.History.First(m => m.Type == 'A').OrderId);
            await t1.WaitForAsync(m => m.Token == cancel, Wait);
        }
        var feedCount = first.Server.Context.MarketData.Feed.Log.Count;
        await first.Server.StopAsync();
        resting = first.Server.Exchange.OrdersInBook(Btc, Core.Commands.Side.Buy).Select(o => o.OrderId).ToArray();
        Assert.Equal(4, resting.Length);

        await using var second = await first.RestartAsync();
        var port = second.Server.MarketDataPort;
        await using var late = await MarketDataClient.JoinAsync("127.0.0.1", port, second.Server.SnapshotPort, "t3", Password("t3"), Wait);
        await late.WaitUntilAsync(b => b.Orders(Btc, 0).Count == 4, Wait);
        Assert.Equal(resting, late.Read(b => b.Orders(Btc, 0).Select(o => o.OrderId).ToArray()));
        Assert.Equal(feedCount + 1, late.Read(b => b.NextSequence));
        // A reader of the whole order log (from 1, across the restart) rebuilds the same book.
        await using var whole = await MarketDataClient.LoginAsync("127.0.0.1", port, "t4", Password("t4"), 1, Wait);
        await whole.WaitUntilAsync(b => b.NextSequence > feedCount, Wait);
        Assert.Equal(resting, whole.Read(b => b.Orders(Btc, 0).Select(o => o.OrderId).ToArray()));
        await second.StopAndCheckAsync();
        await first.DisposeAsync();
    }

    [Fact]
    public async Task Retention_StreamGrowsPastTheWindow_MemoryAndFilesStayBounded_OldRequestRefused()
    {
        const long window = 1_000;
        var streams = new StreamsConfig { RetainMessages = window, RetainBytes = 1 << 20, RetainSeconds = 0, FileBytes = 64 * 1024 };
        // 14 rounds of 300 queries as fast as the server answers: at the test servers' 5,000 a second (burst 1,000) a
        // quick machine ran the bucket dry and the session was closed for flooding; this test is about retention.
        Func<GatewayConfig, GatewayConfig> small = c => c with
        {
            Streams = streams,
            Limits = c.Limits with { MaxQueuedMessages = 1_000, RatePerSecond = 1_000_000, RateBurst = 10_000 },
        };
        var server = await StartAsync(configure: small);
        var log = server.Server.Context.Streams.First(s => s.Key.Name == "t1").Value.Log;
        long maxBytes = 0, maxDisk = 0;
        await using (var t1 = await server.LoginAsync("t1"))
        {
            // 30 rounds of 300: ~650 KB of messages, well past what the memory and disk bounds below allow.
            for (var round = 0; round < 30; round++)
            {
                for (var i = 0; i < 300; i++) await t1.QueryAsync(0);
                ServerMessage end;
                try
                {
                    end = await t1.WaitForAsync(m => m.Sequence >= (round + 1) * 300, Wait);
                }
                catch (Exception e) when (e is TimeoutException or System.Threading.Channels.ChannelClosedException)
                {
                    throw new Xunit.Sdk.XunitException($"round {round}: count {log.Count} published {log.Published} first {log.First}; last seen {t1.History[^1].Sequence} {t1.History[^1].Type} {t1.History[^1].RejectCode}; closed {t1.Closed.IsCompleted} ({t1.Debug})");
                }
                Assert.True(end.Sequence > 0);
                maxBytes = Math.Max(maxBytes, log.Bytes);
                // The files retention dropped are deleted by the stream store's timer (every fsyncIntervalMs), not at once.
                var dropped = System.Diagnostics.Stopwatch.StartNew();
                while (log.File!.PendingDeletes > 0 && dropped.Elapsed < Wait) await Task.Delay(5);
                Assert.Equal(0, log.File.PendingDeletes);
                maxDisk = Math.Max(maxDisk, log.File.DiskBytes);
            }
        }
        var count = log.Count;
        Assert.True(count >= 9_000, $"{count} messages");
        // The window, plus up to two 64 KiB segments in memory (the oldest goes when a new one begins); on disk, plus two
        // files of fileBytes and a segment each (a file is cut once it holds fileBytes, so it ends with up to one more
        // 64 KiB write): the oldest, partly before the window, and the one being written, reserved ahead. Streams written
        // a segment at a time (fast, as here) reach it. Rounded up: a floor here made the bound a few hundred bytes short.
        var kept = count - log.First + 1;
        var perMessage = (log.Bytes + kept - 1) / kept;
        Assert.True(log.First > 1);
        Assert.True(count - log.First + 1 >= window, $"kept {count - log.First + 1}");
        Assert.True(maxBytes <= window * perMessage + 2 * 64 * 1024, $"memory {maxBytes}");
        Assert.True(maxDisk <= window * perMessage + 2 * (64 * 1024 + 64 * 1024), $"disk {maxDisk}, the window {window * perMessage}");

        var oldest = log.First;
        await using (var stale = await ExchangeClient.ConnectAsync("127.0.0.1", server.Port))
        {
            var refused = await stale.LoginAsync("t1", Password("t1"), oldest - 1, "", Wait);
            Assert.False(refused.Accepted);
            Assert.Equal((char)PacketType.SequenceNotRetained, refused.RejectReason);
            Assert.Contains($"oldest kept is {oldest}", refused.Debug);
        }
        await using (var ok = await ExchangeClient.ConnectAsync("127.0.0.1", server.Port))
        {
            Assert.True((await ok.LoginAsync("t1", Password("t1"), oldest, "", Wait)).Accepted);
            Assert.Equal(oldest, (await ok.ReceiveAsync(Wait)).Sequence);
        }

        // After a restart the window is what was kept: the same refusal, the same oldest message.
        await server.Server.StopAsync();
        await using var second = await server.RestartAsync(configure: small);
        var reloaded = second.Server.Context.Streams.First(s => s.Key.Name == "t1").Value.Log;
        Assert.Equal(count, reloaded.Count);
        Assert.True(reloaded.First > 1 && count - reloaded.First + 1 >= window, $"kept from {reloaded.First} to {count}");
        await using (var stale = await ExchangeClient.ConnectAsync("127.0.0.1", second.Port))
            Assert.Equal((char)PacketType.SequenceNotRetained, (await stale.LoginAsync("t1", Password("t1"), 1, "", Wait)).RejectReason);
        await second.StopAndCheckAsync();
        await server.DisposeAsync();
    }
}
