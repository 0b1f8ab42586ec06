using System.Diagnostics;
using Exchange.Client.Protocol;
using Exchange.Client;
using Exchange.Core.Book;
using Exchange.Core.Commands;
using Exchange.Gateway.Tests.Support;
using FsCheck.Fluent;
using FsCheck;
using Xunit.Abstractions;
using static Exchange.Gateway.Tests.Support.TestServer;

namespace Exchange.Gateway.Tests.MarketData;

/// <summary>
/// The market-data session over real sockets: the book a client rebuilds from the order log (from the start, from a
/// late joiner's snapshot, from a replay) equals the engine's own, order by order, at the same sequence.
/// </summary>
public sealed class MarketDataTests(ITestOutputHelper output)
{
    private const long Money = 1_000_000_000_000;
    private static readonly long[] Marks = [120_000, 60_000];

    private static Gen<OrderFlowOp> Op =>
        from kind in Gen.Frequency(
            (30, Gen.Constant(OrderFlowKind.Limit)), (4, Gen.Constant(OrderFlowKind.PostOnly)), (8, Gen.Constant(OrderFlowKind.Ioc)),
            (4, Gen.Constant(OrderFlowKind.Market)), (10, Gen.Constant(OrderFlowKind.Cancel)), (8, Gen.Constant(OrderFlowKind.Shrink)),
            (8, Gen.Constant(OrderFlowKind.Move)), (2, Gen.Constant(OrderFlowKind.CancelAll)), (3, Gen.Constant(OrderFlowKind.Mark)))
        from account in Gen.Choose(1, 2)
        from instrument in Gen.Frequency((3, Gen.Constant(Btc)), (1, Gen.Constant(Eth)))
        from side in Gen.Choose(0, 1)
        from offset in Gen.Choose(-6, 6)
        from quantity in Gen.Choose(1, 30)
        from pick in Gen.Choose(0, 1000)
        from stp in Gen.Choose(0, 2)
        select new OrderFlowOp(kind, account, instrument, (byte)side, offset, quantity, pick, (byte)stp);

    private const int Flows = 25;

    [Fact]
    public void RandomOrderFlow_RebuiltBooks_EqualTheEngines()
    {
        var watch = Stopwatch.StartNew();
        var seen = new Dictionary<char, int>();
        var flows = Gen.ListOf(Op, 60).Select(l => l.ToArray()).ToArbitrary();
        Prop.ForAll(flows, flow => RunFlow(flow, seen, leveraged: false).GetAwaiter().GetResult())
            .Check(FsCheck.Config.QuickThrowOnFailure.WithMaxTest(Flows).WithQuietOnSuccess(true));
        output.WriteLine($"{Flows} flows in {watch.ElapsedMilliseconds} ms; order-log messages seen: " +
            string.Join(", ", seen.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}")));
        // The flows must reach every book-changing message, or the property proves little.
        Assert.All("AEXDU", type => Assert.True(seen.GetValueOrDefault(type) > 0, $"no '{type}' message in {Flows} flows"));
    }

    /// <summary>
    /// Account 2 trades on a thin margin and the mark jumps by up to 5%: liquidations cancel its orders, sell into the
    /// book, deleverage and move the insurance fund, in the middle of the flow.
    /// </summary>
    [Fact]
    public void LeveragedOrderFlow_WithLiquidations_RebuiltBooks_EqualTheEngines()
    {
        var watch = Stopwatch.StartNew();
        var seen = new Dictionary<char, int>();
        var flows = Gen.ListOf(Op, 60).Select(l => l.ToArray()).ToArbitrary();
        Prop.ForAll(flows, flow => RunFlow(flow, seen, leveraged: true).GetAwaiter().GetResult())
            .Check(FsCheck.Config.QuickThrowOnFailure.WithMaxTest(Flows).WithQuietOnSuccess(true));
        output.WriteLine($"{Flows} leveraged flows in {watch.ElapsedMilliseconds} ms; order-log messages seen: " +
            string.Join(", ", seen.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}")));
    }

    [Fact]
    public async Task SlowReader_Disconnected_WhileAnotherGoesOn()
    {
        await using var server = await StartAsync(l => l with
        {
            // The queue limit applies to the reader that keeps up too: 1,000 messages of headroom keep it connected on a
            // loaded machine (500 dropped it now and then while three test assemblies ran at once), while 4,000
            // messages (2,000 adds and deletes) still overflow the one that never reads (its queue, the transport
            // buffer and both socket buffers hold well under 2,000).
            MaxQueuedMessages = 1_000, TransportBufferBytes = 4096, SocketSendBufferBytes = 4096, RatePerSecond = 1_000_000,
            RateBurst = 1_000_000,
        });
        await server.SetUpAsync(Money, (Btc, Marks[0]));
        using var sleeper = await RawConnection.ConnectAsync(server.Server.MarketDataPort, receiveBufferBytes: 4096);
        await sleeper.LoginAsync("t3", sequence: 0);
        await using var reader = await MarketDataClient.JoinAsync("127.0.0.1", server.Server.MarketDataPort, server.Server.SnapshotPort, "t4",
            Password("t4"), Wait);
        await using var t1 = await server.LoginAsync("t1");
        // Each place and cancel is an Add Order and an Order Delete on the feed: thousands of messages nobody reads.
        for (var i = 0; i < 2_000; i++)
        {
            var token = await t1.PlaceAsync(1, Btc, 0, Marks[0] - 1 - i % 50, 1 + i % 7);
            var accepted = await t1.WaitForAsync(m => m.Token == token, Wait);
            Assert.Equal('A', accepted.Type);
            await t1.CancelAsync(1, accepted.OrderId);
        }
        Assert.True(await sleeper.ReadUntilClosedAsync(TimeSpan.FromSeconds(10)), "the market-data reader that never reads was not dropped");
        await AssertAgreesAsync(server, reader);
        await server.StopAndCheckAsync();
    }

    [Fact]
    public async Task Liquidation_FlaggedFillsCancelsAndAdl_OnTheFeed()
    {
        await using var server = await StartAsync();
        await using var admin = await server.LoginAsync("admin");
        await using var feed = await server.LoginAsync("feed");
        await admin.DepositAsync(1, 5_000_000_000);
        await admin.DepositAsync(2, 100_000_000_000);
        await admin.DepositAsync(3, 100_000_000_000);
        await admin.InsuranceAsync(1);
        await admin.WaitForAsync(m => m.Type == 'T' && m.Kind == Outbound.InsuranceDepositKind, Wait);
        await feed.MarkAsync(Btc, 120_000);
        await feed.WaitForAsync(m => m.Type == 'M', Wait);
        await using var md = await MarketDataClient.JoinAsync("127.0.0.1", server.Server.MarketDataPort, server.Server.SnapshotPort, "feed",
            Password("feed"), Wait, keepHistory: true);

        await using var longTrader = await server.LoginAsync("t1");
        await using var shortTrader = await server.LoginAsync("t2");
        await using var bidder = await server.LoginAsync("t3");
        await shortTrader.PlaceAsync(2, Btc, 1, 120_000, 1_000);
        await shortTrader.WaitForAsync(m => m.Type == 'A', Wait);
        await longTrader.PlaceAsync(1, Btc, 0, 120_000, 1_000, tif: 1);
        await longTrader.WaitForAsync(m => m.Type == 'E', Wait);
        await longTrader.PlaceAsync(1, Btc, 1, 125_000, 10); // rests; the liquidation cancels it
        await longTrader.WaitForAsync(m => m.Type == 'A', Wait);
        await bidder.PlaceAsync(3, Btc, 0, 114_000, 300);    // the liquidation sells into it
        await bidder.WaitForAsync(m => m.Type == 'A', Wait);

        var mark = await feed.MarkAsync(Btc, 112_000);
        Assert.Equal('M', (await feed.WaitForAsync(m => m.Token == mark, Wait)).Type);
        await longTrader.WaitForAsync(m => m.Type == 'L' && m.Kind == Outbound.Ended, Wait);

        await AssertAgreesAsync(server, md);
        var log = md.History;
        Assert.Contains(log, m => m.Type == 'D' && m.Reason == (byte)Core.Events.CancelReason.Liquidation);
        Assert.Contains(log, m => m.Type == 'E' && m.Flags == 1 && m.Side == 0 && m.Price == 114_000);
        Assert.Contains(log, m => m.Type == 'L' && m.Instrument == Btc && m.Side == 1);
        Assert.Contains(log, m => m.Type == 'I' && !m.InSnapshot);
        await server.StopAndCheckAsync();
    }

    [Fact]
    public async Task MarketDataSession_IsReadOnly()
    {
        await using var server = await StartAsync(inProcess: true);
        using var raw = await RawConnection.ConnectAsync(server.Server.MarketDataPort);
        await raw.LoginAsync("t1", sequence: 0);
        await raw.SendPacketAsync(PacketType.UnsequencedData, Inbound.Query(0, 0));
        Assert.True(await raw.ReadUntilClosedAsync(Wait));
        Assert.Equal("market-data sessions are read-only", raw.LastDebug());
    }

    private static async Task RunFlow(OrderFlowOp[] flow, Dictionary<char, int> seen, bool leveraged)
    {
        await using var server = await StartAsync();
        await server.SetUpAsync(Money, (Btc, Marks[0]), (Eth, Marks[1]));
        if (leveraged)
        {
            await using var admin = await server.LoginAsync("admin");
            var withdraw = await admin.WithdrawAsync(2, Money - 3_000_000_000); // 3,000 USD left
            await admin.WaitForAsync(m => m.Token == withdraw, Wait);
        }
        var (port, snapshotPort) = (server.Server.MarketDataPort, server.Server.SnapshotPort);
        await using var early = await MarketDataClient.JoinAsync("127.0.0.1", port, snapshotPort, "t3", Password("t3"), Wait, keepHistory: true);
        await using var t1 = await server.LoginAsync("t1");
        await using var t2 = await server.LoginAsync("t2");
        await using var feed = await server.LoginAsync("feed");
        var traders = new[] { t1, t2 };
        var orders = new[] { new List<long>(), new List<long>() };
        var marks = (long[])Marks.Clone();
        Task<MarketDataClient>? late = null;
        for (var i = 0; i < flow.Length; i++)
        {
            // The late joiner logs in while the flow goes on: the snapshot session's book and the order log from the
            // sequence its End of Snapshot names must meet exactly (the comparison with the engine fails otherwise).
            if (i == flow.Length / 2) late = MarketDataClient.JoinAsync("127.0.0.1", port, snapshotPort, "t4", Password("t4"), Wait);
            await Step(leveraged ? flow[i] with { Quantity = flow[i].Quantity * 30 } : flow[i], traders, orders, marks, feed,
                leveraged ? 1_000 : 1);
        }
        await using var joiner = await late!;
        await using var replay = await MarketDataClient.LoginAsync("127.0.0.1", port, "t3", Password("t3"), 1, Wait);
        await AssertAgreesAsync(server, early, joiner, replay);
        foreach (var m in early.History)
        {
            // Lower case: a liquidation's fill (e) or cancel (d).
            var key = m.Type == 'E' && m.Flags == 1 ? 'e' : m.Type == 'D' && m.Reason == 4 ? 'd' : m.Type;
            seen[key] = seen.GetValueOrDefault(key) + 1;
        }
        await server.StopAndCheckAsync();
    }

    private static async Task Step(OrderFlowOp op, ExchangeClient[] traders, List<long>[] orders, long[] marks, ExchangeClient feed,
        long markStep)
    {
        var c = traders[op.Account - 1];
        var mine = orders[op.Account - 1];
        var price = marks[op.Instrument] + op.Offset;
        long Pick() => mine.Count == 0 ? 999_999 : mine[op.Pick % mine.Count];
        uint token;
        switch (op.Kind)
        {
            case OrderFlowKind.Limit:
            case OrderFlowKind.PostOnly:
                token = await c.PlaceAsync(op.Account, op.Instrument, op.Side, price, op.Quantity,
                    flags: (byte)(op.Kind == OrderFlowKind.PostOnly ? 1 : 0), stp: op.Stp);
                break;
            case OrderFlowKind.Ioc:
                token = await c.PlaceAsync(op.Account, op.Instrument, op.Side, price, op.Quantity, tif: 1, stp: op.Stp);
                break;
            case OrderFlowKind.Market:
                token = await c.PlaceAsync(op.Account, op.Instrument, op.Side, 0, op.Quantity, orderType: 1, tif: 1, stp: op.Stp);
                break;
            case OrderFlowKind.Cancel:
                token = await c.CancelAsync(op.Account, Pick());
                break;
            case OrderFlowKind.Shrink:
                token = await c.ReplaceAsync(op.Account, Pick(), 0, 0, op.Quantity);
                break;
            case OrderFlowKind.Move:
                token = await c.ReplaceAsync(op.Account, Pick(), 0, price, op.Pick % 2 == 0 ? 0 : op.Quantity);
                break;
            case OrderFlowKind.CancelAll:
                token = await c.CancelAllAsync(op.Account, op.Pick % 3 == 0 ? -1 : op.Instrument);
                break;
            default:
                marks[op.Instrument] += op.Offset * markStep * marks[op.Instrument] / Marks[0];
                token = await feed.MarkAsync(op.Instrument, marks[op.Instrument]);
                await feed.WaitForAsync(m => m.Token == token, Wait);
                return;
        }
        var outcome = await c.WaitForAsync(m => m.Token == token, Wait);
        if (outcome.Type == 'A') mine.Add(outcome.OrderId);
    }

    /// <summary>
    /// Once the flow is over: waits until each client has the whole order log, stops the server (the log cannot grow
    /// then), and compares each client's book with the core's, order by order and level by level.
    /// </summary>
    private static async Task AssertAgreesAsync(TestServer server, params MarketDataClient[] clients)
    {
        var feed = server.Server.Context.MarketData.Feed.Log;
        long logCount;
        do
        {
            // A command the flow sent without waiting for (a last cancel) may still be on its way: wait for quiet.
            logCount = feed.Count;
            foreach (var client in clients) await client.WaitUntilAsync(b => b.NextSequence > logCount, Wait);
            await Task.Delay(50);
        }
        while (feed.Count != logCount);
        await server.Server.StopAsync();
        Assert.Equal(logCount, feed.Count);
        var core = server.Server.Exchange;
        foreach (var client in clients)
            client.Read(b =>
            {
                Assert.True(b.CommandSequence <= core.LastSequence);
                Assert.Equal(core.Insurance, b.InsuranceFund);
                for (var i = 0; i < 2; i++)
                {
                    Assert.Equal(core.Mark(i), b.Mark(i));
                    for (var s = 0; s < 2; s++)
                    {
                        var levels = new BookLevel[1024];
                        var depth = levels.AsSpan(0, core.Depth(i, (Side)s, levels)).ToArray();
                        Assert.Equal(depth.Select(l => (l.Price, l.Lots)), b.Levels(i, (byte)s));
                        Assert.Equal(core.OrdersInBook(i, (Side)s).Select(o => (o.OrderId, o.Price, o.Remaining)), b.Orders(i, (byte)s));
                    }
                }
                return 0;
            });
    }
}
