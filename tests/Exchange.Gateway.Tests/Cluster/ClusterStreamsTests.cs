using Exchange.Client;
using Exchange.Gateway.Streams;
using Exchange.Gateway.Tests.Support;
using Exchange.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Exchange.Gateway.Tests.Cluster;

/// <summary>
/// Streams on every node (docs/cluster.md): every node writes the same streams from the committed log, in one session
/// whose id every node has; a client of a leader that stops logs in to the next one with that session and its next
/// sequence number and gets every message from there; followers serve the order log and the drop copy.
/// </summary>
[Collection(nameof(ClusterNodesCollection))]
public sealed class ClusterStreamsTests
{
    private static readonly TimeSpan Wait = TestNodes.Timeout;
    private const long Price = 120_000;

    [Fact]
    public async Task EveryNode_WritesTheSameStreams_ClientsResumeTheSessionAtTheNextLeader_FollowersServeMarketDataAndDropCopy()
    {
        await using var nodes = await TestNodes.StartAsync(streamPorts: true);
        var first = await nodes.LeaderAsync();
        var follower = (first + 1) % nodes.Count;
        var users = new[] { "admin", "feed", "t1", "t2" };
        var clients = new Dictionary<string, ExchangeClient>();
        var received = users.ToDictionary(u => u, _ => new List<ServerMessage>());
        foreach (var u in users) clients[u] = await nodes.LoginAsync(u, sequence: 1);
        var session = clients["admin"].Session;
        Assert.False(string.IsNullOrWhiteSpace(session));
        Assert.All(clients.Values, c => Assert.Equal(session, c.Session));

        // Every node learns the session from the first leader's barrier.
        await Until(() => Enumerable.Range(0, nodes.Count).All(i => nodes[i]!.SessionId == session), "the session on every node");

        // Read-only feeds on a follower, from their first message: the order log, and the drop copy of accounts 1 and 2.
        var (host, _) = nodes.Addresses[follower];
        await using var marketData = await ExchangeClient.LoginAsync(host, nodes[follower]!.MarketDataPort, "t3", TestServer.Password("t3"), 1, Wait);
        await using var dropCopy = await ExchangeClient.LoginAsync(host, nodes[follower]!.DropCopyPort, "admin", TestServer.Password("admin"), 1, Wait);
        Assert.Equal(session, marketData.Session);

        await AnsweredAsync(clients["admin"], c => c.DepositAsync(1, 10_000_000_000));
        await AnsweredAsync(clients["admin"], c => c.DepositAsync(2, 10_000_000_000));
        await AnsweredAsync(clients["feed"], c => c.MarkAsync(TestServer.Btc, Price));
        await TradeAsync(clients, 5);

        // The leader stops; its clients log in to the next one with the session and the next sequence they expect.
        foreach (var (u, c) in clients) await DrainAsync(c);
        await nodes.StopNodeAsync(first);
        var second = await nodes.LeaderAsync();
        Assert.NotEqual(first, second);
        foreach (var u in users)
        {
            var old = clients[u];
            received[u].AddRange(old.History);
            var resumed = await ExchangeClient.LoginToLeaderAsync(nodes.Addresses, u, TestServer.Password(u), old.NextSequence, old.Session, Wait);
            Assert.Equal(old.NextSequence, resumed.LoginSequence);
            Assert.Equal(session, resumed.Session);
            resumed.NextToken = old.NextToken;
            await old.DisposeAsync();
            clients[u] = resumed;
        }
        await TradeAsync(clients, 5);
        await AnsweredAsync(clients["admin"], c => c.DepositAsync(1, 1_000_000));
        // An account query is journaled: its answer is a message of the admin's stream on every node too.
        await clients["admin"].QueryAsync(1);
        await clients["admin"].WaitForAsync(m => m.Type == 'Q' && m.Account == 1, Wait);

        // The stopped node comes back on its own directory and catches up, its streams with it.
        await nodes.StartNodeAsync(first);
        await nodes.WaitAppliedAsync(nodes[second]!.Node.StateMachine.AppliedIndex);
        Assert.Equal(session, nodes[first]!.SessionId);
        foreach (var (u, c) in clients)
        {
            await DrainAsync(c);
            received[u].AddRange(c.History);
            await c.DisposeAsync();
        }
        var marketDataCount = nodes[second]!.Streams.Set.MarketData.Feed.Log.Published;
        await Until(() => marketData.NextSequence > marketDataCount, "the follower's order log");
        await Until(() => dropCopy.History.Count >= 20, "the follower's drop copy");

        var exchanges = new List<Core.Exchange>();
        for (var i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i]!.Node;
            await nodes.StopNodeAsync(i);
            exchanges.Add(node.StateMachine.Exchange);
        }
        foreach (var x in exchanges) InvariantChecker.Check(x);
        Assert.All(exchanges, x => Assert.Equal(exchanges[0].StateHash(), x.StateHash()));

        // Every node's streams, byte for byte (headers included: the command of each message and its outcome flag).
        var streams = Enumerable.Range(0, nodes.Count).Select(i => StreamRecords.Read(nodes.DataDirectory(i))).ToList();
        for (var i = 1; i < nodes.Count; i++)
        {
            Assert.Equal(streams[0].Keys.Order(), streams[i].Keys.Order());
            foreach (var (name, records) in streams[0])
                Assert.True(records.Select(r => Convert.ToHexString(r.Bytes)).SequenceEqual(streams[i][name].Select(r => Convert.ToHexString(r.Bytes))),
                    $"stream {name} of node {i + 1} differs from node 1's");
        }
        // What each client received over both leaders is its stream, from message 1, with no gap and no duplicate.
        foreach (var u in users)
        {
            var stream = streams[0][StreamStore.UserStreamName(u)];
            Assert.Equal(stream.Count, received[u].Count);
            for (var m = 0; m < stream.Count; m++)
            {
                Assert.Equal(m + 1, received[u][m].Sequence);
                Assert.True(stream[m].Bytes.AsSpan(MessageLog.HeaderLength).SequenceEqual(received[u][m].Raw), $"{u}'s message {m + 1}");
            }
        }
        // The follower's order log and drop copy are the streams every node holds.
        AssertReceived(streams[0][StreamStore.MarketDataStreamName], marketData.History);
        AssertReceived(streams[0][StreamStore.DropCopyStreamName("desk")], dropCopy.History);
        Assert.True(streams[0][StreamStore.MarketDataStreamName].Count > 20);
    }

    [Fact]
    public async Task ExchangeClientWatch_FollowsTheSessionToTheNextLeader_WithNoGapAndNoDuplicate()
    {
        await using var nodes = await TestNodes.StartAsync();
        var first = await nodes.LeaderAsync();
        var follower = (first + 1) % nodes.Count;
        await using (var admin = await nodes.LoginAsync("admin"))
            for (var i = 1; i <= 3; i++)
                await AnsweredAsync(admin, c => c.DepositAsync(1, i * 1_000_000L));

        // `exchange client watch`, given the follower's address, reads t1's stream from 1 through the leader it names.
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var watch = Task.Run(() => Exchange.Gateway.Cli.ExchangeCommandLine.Run(["client", "--port", nodes.Addresses[follower].Port.ToString(),
            "--user", "t1", "--password", TestServer.Password("t1"), "watch", "--from", "1", "--for", "15000"], TextWriter.Synchronized(stdout), stderr));
        await Task.Delay(2000);
        await nodes.StopNodeAsync(first);
        await nodes.LeaderAsync();
        await using (var admin = await nodes.LoginAsync("admin"))
        {
            await admin.QueryAsync(0);
            admin.NextToken = (await admin.WaitForAsync(m => m.Type == 'Q' && m.Account == 0, Wait)).NextToken;
            for (var i = 4; i <= 6; i++)
                await AnsweredAsync(admin, c => c.DepositAsync(1, i * 1_000_000L));
        }
        Assert.True(await watch == 0, stderr.ToString());
        var output = stdout.ToString();
        Assert.True(output.Contains("logged in again"), output + stderr);
        // Each deposit's transfer once, in order, across the two leaders (amounts in USD: 1 to 6).
        var transfers = output.Split('\n').Where(l => l.Contains("deposit") && l.Contains("account 1")).ToList();
        Assert.True(transfers.Count == 6, output);
        for (var i = 0; i < 6; i++) Assert.Contains($" {i + 1}", transfers[i]);
        for (var i = 0; i < nodes.Count; i++)
            if (nodes[i] is { } host)
            {
                var node = host.Node;
                await nodes.StopNodeAsync(i);
                InvariantChecker.Check(node.StateMachine.Exchange);
            }
    }

    private static void AssertReceived(List<StreamRecords.Record> stream, IReadOnlyList<ServerMessage> received)
    {
        Assert.Equal(stream.Count, received.Count);
        for (var m = 0; m < stream.Count; m++)
            Assert.True(stream[m].Bytes.AsSpan(MessageLog.HeaderLength).SequenceEqual(received[m].Raw), $"message {m + 1}");
    }

    [Fact]
    public async Task ReadOnlyPorts_RefuseLogins_UntilTheNodeHasAppliedTheFirstBarrier()
    {
        // A node's streams before its log's first barrier: no session yet. Its market-data port refuses (J S, and a +
        // saying why) rather than accept with a blank session no client could resume; after the barrier it accepts
        // with the barrier's session.
        var directory = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "exchange-nosession-" + Guid.NewGuid().ToString("N"))).FullName;
        try
        {
            var config = TestServer.Config() with { MarketDataPort = 0, DropCopyPort = -1, SnapshotPort = -1 };
            using var streams = new Hosting.ClusterStreams(config, directory, NullLogger.Instance);
            await using var server = await Hosting.StreamServer.StartAsync(config, streams.Set, NullLoggerFactory.Instance, null, CancellationToken.None);
            Assert.NotNull(server);
            Assert.Equal("", streams.SessionId);

            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
                ExchangeClient.LoginAsync("127.0.0.1", server.MarketDataPort, "t3", TestServer.Password("t3"), 1, Wait));
            Assert.Contains("login rejected (S)", refused.Message);
            Assert.Contains("not known on this node yet", refused.Message);

            const ulong proposal = 1_800_000_000_000;
            streams.OnBarrier(proposal);
            await using var accepted = await ExchangeClient.LoginAsync("127.0.0.1", server.MarketDataPort, "t3", TestServer.Password("t3"), 1, Wait);
            Assert.Equal(StreamStore.NewSessionId((long)proposal), accepted.Session);
            Assert.Equal(streams.SessionId, accepted.Session);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
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

    // Reads until nothing more arrives for a moment (everything the node routed so far is in History).
    private static async Task DrainAsync(ExchangeClient client)
    {
        try
        {
            while (true) await client.ReceiveAsync(TimeSpan.FromMilliseconds(300));
        }
        catch (TimeoutException)
        {
        }
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
