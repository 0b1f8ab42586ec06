using System.Net;
using System.Net.Sockets;
using Exchange.Client;
using Exchange.Gateway.Hosting;
using Exchange.Gateway.Streams;
using Exchange.Gateway.Tests.Support;
using Exchange.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Exchange.Gateway.Tests.Cluster;

/// <summary>
/// Streams in snapshots (docs/cluster.md): a node brought back by a snapshot fetches the messages its streams lack from
/// a peer before it routes anything after the snapshot, so every node serves the same messages for the same numbers.
/// </summary>
[Collection(nameof(ClusterNodesCollection))]
public sealed class StreamFetchTests
{
    private static readonly TimeSpan Wait = TestNodes.Timeout;
    private const long Price = 120_000;

    [Fact]
    public async Task AFollowerBroughtBackBySnapshot_HoldsEveryStreamOfTheLeader_ByteForByte_AndServesItFromOne()
    {
        await using var nodes = await TestNodes.StartAsync(streamPorts: true, snapshotEveryCommands: 100);
        var leader = await nodes.LeaderAsync();
        var follower = (leader + 1) % nodes.Count;
        var users = new[] { "admin", "feed", "t1", "t2" };
        var clients = new Dictionary<string, ExchangeClient>();
        foreach (var u in users) clients[u] = await nodes.LoginAsync(u, sequence: 1);
        await AnsweredAsync(clients["admin"], c => c.DepositAsync(1, 10_000_000_000));
        await AnsweredAsync(clients["admin"], c => c.DepositAsync(2, 10_000_000_000));
        await AnsweredAsync(clients["feed"], c => c.MarkAsync(TestServer.Btc, Price));
        await TradeAsync(clients, 10);
        await nodes.WaitAppliedAsync(nodes[leader]!.Node.StateMachine.AppliedIndex);

        // The follower is down while the leader snapshots (every 100 commands) and compacts its log past it.
        var stoppedAt = nodes[follower]!.Node.StateMachine.AppliedIndex;
        var heldBefore = nodes[follower]!.Streams.Set.MarketData.Feed.Log.Count;
        await nodes.StopNodeAsync(follower);
        await TradeAsync(clients, 160);
        var snapshot = nodes[leader]!.Node.StateMachine.Snapshot;
        Assert.NotNull(snapshot);
        Assert.True(snapshot.Index > stoppedAt + 100, $"the leader's snapshot at {snapshot.Index}, the follower stopped at {stoppedAt}");

        // Back: brought back by the leader's snapshot, its streams filled from a peer.
        await nodes.StartNodeAsync(follower);
        await nodes.WaitAppliedAsync(nodes[leader]!.Node.StateMachine.AppliedIndex);
        var back = nodes[follower]!;
        Assert.True(back.Node.StateMachine.SnapshotsInstalled > 0, "the follower was not brought back by a snapshot");
        Assert.True(back.Streams.Fetched > 0, "the follower fetched no stream message");
        await TradeAsync(clients, 3);
        await nodes.WaitAppliedAsync(nodes[leader]!.Node.StateMachine.AppliedIndex);

        // A client replaying from message 1 on that node gets every message of the order log and of the drop copy.
        var (host, _) = nodes.Addresses[follower];
        await using var marketData = await ExchangeClient.LoginAsync(host, back.MarketDataPort, "t3", TestServer.Password("t3"), 1, Wait);
        await using var dropCopy = await ExchangeClient.LoginAsync(host, back.DropCopyPort, "admin", TestServer.Password("admin"), 1, Wait);
        Assert.Equal(1, marketData.LoginSequence);
        Assert.Equal(1, dropCopy.LoginSequence);
        var marketDataCount = nodes[leader]!.Streams.Set.MarketData.Feed.Log.Published;
        Assert.True(marketDataCount > heldBefore + 100, $"the order log has {marketDataCount} messages, the follower held {heldBefore}");
        var dropCopyCount = nodes[leader]!.Streams.Set.Groups[0].Log.Published;
        await Until(() => marketData.NextSequence > marketDataCount, "the restarted node's order log from 1");
        await Until(() => dropCopy.NextSequence > dropCopyCount, "the restarted node's drop copy from 1");
        foreach (var c in clients.Values) await c.DisposeAsync();

        var exchanges = new List<Core.Exchange>();
        for (var i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i]!.Node;
            await nodes.StopNodeAsync(i);
            exchanges.Add(node.StateMachine.Exchange);
        }
        foreach (var x in exchanges) InvariantChecker.Check(x);
        Assert.All(exchanges, x => Assert.Equal(exchanges[0].StateHash(), x.StateHash()));

        // Every stream of every node, byte for byte, headers included, from message 1.
        var streams = Enumerable.Range(0, nodes.Count).Select(i => StreamRecords.Read(nodes.DataDirectory(i))).ToList();
        for (var i = 0; i < nodes.Count; i++)
        {
            Assert.Equal(streams[leader].Keys.Order(), streams[i].Keys.Order());
            foreach (var (name, records) in streams[leader])
            {
                Assert.Equal(1, StreamRecords.First(Path.Combine(nodes.DataDirectory(i), "streams", name)));
                Assert.True(records.Select(r => Convert.ToHexString(r.Bytes)).SequenceEqual(streams[i][name].Select(r => Convert.ToHexString(r.Bytes))),
                    $"stream {name} of node {i + 1} ({streams[i][name].Count} messages) differs from the leader's ({records.Count})");
            }
        }
        AssertReceived(streams[leader][StreamStore.MarketDataStreamName], marketData.History);
        AssertReceived(streams[leader][StreamStore.DropCopyStreamName("desk")], dropCopy.History);
    }

    [Fact]
    public async Task AFetchRetriesPastPeersThatCannotSupplyTheRange_RefusesLoginsPastWhatItHolds_ThenHoldsThePeersBytes()
    {
        var root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "exchange-fetch-" + Guid.NewGuid().ToString("N"))).FullName;
        try
        {
            var config = TestServer.Config() with { MarketDataPort = 0, DropCopyPort = -1, SnapshotPort = -1 };
            const ulong proposal = 1_800_000_000_000;
            using var full = new ClusterStreams(config, Path.Combine(root, "full"), NullLogger.Instance);
            using var behind = new ClusterStreams(config, Path.Combine(root, "behind"), NullLogger.Instance);
            using var installing = new ClusterStreams(config, Path.Combine(root, "installing"), NullLogger.Instance);
            foreach (var s in new[] { full, behind, installing })
            {
                s.OnStart(0, []);
                s.OnBarrier(proposal);
            }
            // The peer with the whole stream (5,000 messages, some flagged as their command's outcome); one that holds
            // its first 3,000 only; the installing node holds its first 100.
            AppendMessages(full, 5_000);
            AppendMessages(behind, 3_000);
            AppendMessages(installing, 100);
            var counts = full.Capture();

            var ports = TestNodes.FreePorts(3);
            var dead = new IPEndPoint(IPAddress.Loopback, ports[0]);
            var fullAt = new IPEndPoint(IPAddress.Loopback, ports[1]);
            behind.Serve(new IPEndPoint(IPAddress.Loopback, ports[2]), []);
            installing.Serve(new IPEndPoint(IPAddress.Loopback, 0), [(1, dead), (2, behind.ServingEndPoint!), (3, fullAt)]);
            await using var server = await StreamServer.StartAsync(config, installing.Set, NullLoggerFactory.Instance, null, CancellationToken.None);
            Assert.NotNull(server);

            // The snapshot says 5,000: no peer can supply them yet (one down, one behind, the full one not listening).
            installing.OnInstalled(9_999, counts);
            var caughtUp = installing.CaughtUpAsync(CancellationToken.None).AsTask();
            await Until(() => installing.FetchFailures >= 4, "failed fetches");
            Assert.False(caughtUp.IsCompleted);
            Assert.Equal(100, installing.Set.MarketData.Feed.Log.Published);
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
                ExchangeClient.LoginAsync("127.0.0.1", server.MarketDataPort, "t3", TestServer.Password("t3"), 200, Wait));
            Assert.Contains("login rejected (S)", refused.Message);
            Assert.Contains("being fetched on this node", refused.Message);

            // The full peer comes up: the fetch goes on from message 101 and the stream is the peer's, byte for byte.
            full.Serve(fullAt, []);
            await caughtUp.WaitAsync(Wait);
            var want = full.Set.MarketData.Feed.Log;
            var got = installing.Set.MarketData.Feed.Log;
            Assert.Equal(5_000, got.Published);
            Assert.Equal(1, got.First);
            Assert.Equal(4_900, installing.Fetched);
            for (long m = 1; m <= 5_000; m++)
                Assert.True(want.GetRecord(m).SequenceEqual(got.GetRecord(m)), $"message {m}");
            Assert.Equal(0, installing.Set.MarketData.Feed.FetchingTo);
            installing.Dispose();
            var onDisk = StreamRecords.ReadStream(Path.Combine(root, "installing", "streams", StreamStore.MarketDataStreamName));
            Assert.Equal(5_000, onDisk.Count);
            for (var m = 0; m < 5_000; m++) Assert.True(want.GetRecord(m + 1).SequenceEqual(onDisk[m].Bytes), $"message {m + 1} on disk");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task AFetchIsBoundedByThePeersRetentionWindow_TheStreamGoesOnFromThePeersOldestMessage()
    {
        var root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "exchange-fetch-" + Guid.NewGuid().ToString("N"))).FullName;
        try
        {
            var config = TestServer.Config() with
            {
                MarketDataPort = 0, DropCopyPort = -1, SnapshotPort = -1,
                Streams = TestServer.Config().Streams with { RetainMessages = 1_000, RetainBytes = 1 << 20 },
            };
            const ulong proposal = 1_800_000_000_000;
            using var peer = new ClusterStreams(config, Path.Combine(root, "peer"), NullLogger.Instance);
            using var installing = new ClusterStreams(config, Path.Combine(root, "installing"), NullLogger.Instance);
            foreach (var s in new[] { peer, installing })
            {
                s.OnStart(0, []);
                s.OnBarrier(proposal);
            }
            AppendMessages(installing, 100);
            AppendMessages(peer, 10_000);
            var early = peer.Capture();
            AppendMessages(peer, 50_000, from: 10_001);
            var late = peer.Capture();
            var want = peer.Set.MarketData.Feed.Log;
            Assert.True(want.First > 10_001, $"the peer's window begins at {want.First}");
            peer.Serve(new IPEndPoint(IPAddress.Loopback, 0), []);
            installing.Serve(new IPEndPoint(IPAddress.Loopback, 0), [(1, peer.ServingEndPoint!)]);
            var got = installing.Set.MarketData.Feed.Log;

            // Messages 101-10,000 are all before the peer's window: nothing is fetched, the stream goes on at 10,001.
            installing.OnInstalled(5_000, early);
            await installing.CaughtUpAsync(CancellationToken.None).AsTask().WaitAsync(Wait);
            Assert.Equal(10_000, got.Published);
            Assert.Equal(10_001, got.First);
            Assert.Equal(0, installing.Fetched);

            // Messages 10,001-50,000: the peer sends those from its oldest kept one; the stream holds them from there.
            installing.OnInstalled(25_000, late);
            await installing.CaughtUpAsync(CancellationToken.None).AsTask().WaitAsync(Wait);
            Assert.Equal(50_000, got.Published);
            Assert.Equal(50_000 - want.First + 1, installing.Fetched);
            Assert.True(got.First >= want.First);
            for (var m = got.First; m <= 50_000; m++)
                Assert.True(want.GetRecord(m).SequenceEqual(got.GetRecord(m)), $"message {m}");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task TheFetchServer_ClosesConnectionsPastItsBound_AndConnectionsLeftIdle_ThenServesAgain()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endPoint = (IPEndPoint)listener.LocalEndpoint;
        using var stopping = new CancellationTokenSource();
        var serving = StreamFetch.ServeAsync(listener, () => "S1", new Dictionary<string, MessageLog>(), NullLogger.Instance,
            maxConnections: 2, idle: TimeSpan.FromMilliseconds(500), stopping.Token);
        try
        {
            using var first = await ConnectAsync(endPoint);
            using var second = await ConnectAsync(endPoint);
            // Both are served (a request is answered); a third is closed at once.
            Assert.Equal(StreamFetch.Refused, await AskAsync(first));
            Assert.Equal(StreamFetch.Refused, await AskAsync(second));
            using var third = await ConnectAsync(endPoint);
            var closed = await Assert.ThrowsAnyAsync<Exception>(() => AskAsync(third));
            Assert.True(closed is IOException or SocketException, $"the third connection was not closed: {closed}");

            // Left idle past 500 ms, the two are closed by the server, and a new connection is served again.
            Assert.Equal(0, await first.ReceiveAsync(new byte[1], SocketFlags.None).WaitAsync(Wait));
            Assert.Equal(0, await second.ReceiveAsync(new byte[1], SocketFlags.None).WaitAsync(Wait));
            using var fourth = await ConnectAsync(endPoint);
            Assert.Equal(StreamFetch.Refused, await AskAsync(fourth));
        }
        finally
        {
            await stopping.CancelAsync();
            listener.Stop();
            await serving.WaitAsync(Wait);
        }

        static async Task<Socket> ConnectAsync(IPEndPoint endPoint)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(endPoint);
            return socket;
        }

        // A fetch of a stream the server does not have: answered 'N' with its reason.
        static async Task<byte> AskAsync(Socket socket)
        {
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            var result = await StreamFetch.FetchAsync(stream, "S1", "nothing", 1, 1, (_, _) => { }, CancellationToken.None).WaitAsync(Wait);
            Assert.Contains("no stream nothing", result.Refusal);
            return StreamFetch.Refused;
        }
    }

    // Messages of commands 1, 2, ... (three per command), the first of each command flagged as its outcome.
    private static void AppendMessages(ClusterStreams streams, int count, int from = 1)
    {
        var feed = streams.Set.MarketData.Feed;
        lock (feed.Gate)
        {
            var log = feed.Log;
            var message = new byte[40];
            for (var m = from; m <= count; m++)
            {
                MessageLog.CurrentCommand = (m + 2) / 3;
                BitConverter.TryWriteBytes(message, (long)m);
                var n = log.Append(message.AsSpan(0, 20 + m % 20));
                if (m % 3 == 1) log.MarkOutcome(MessageLog.CurrentCommand, n);
            }
            MessageLog.CurrentCommand = 0;
            log.Flush();
        }
    }

    private static void AssertReceived(List<StreamRecords.Record> stream, IReadOnlyList<ServerMessage> received)
    {
        Assert.Equal(stream.Count, received.Count);
        for (var m = 0; m < stream.Count; m++)
            Assert.True(stream[m].Bytes.AsSpan(MessageLog.HeaderLength).SequenceEqual(received[m].Raw), $"message {m + 1}");
    }

    // t1 rests a buy, t2 sells into it with an IOC: a trade, reports to both, order-log and drop-copy messages.
    private static async Task TradeAsync(Dictionary<string, ExchangeClient> clients, int rounds)
    {
        for (var r = 0; r < rounds; r++)
        {
            await AnsweredAsync(clients["t1"], c => c.PlaceAsync(1, TestServer.Btc, 0, Price, 1));
            await AnsweredAsync(clients["t2"], c => c.PlaceAsync(2, TestServer.Btc, 1, Price, 1, tif: 1));
        }
    }

    private static async Task AnsweredAsync(ExchangeClient client, Func<ExchangeClient, Task<uint>> send)
    {
        var token = await send(client);
        var answer = await client.WaitForAsync(m => m.Token == token, Wait);
        Assert.NotEqual('J', answer.Type);
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no {what} within {Wait.TotalSeconds} s");
            await Task.Delay(20);
        }
    }
}
