using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Exchange.Client;
using Exchange.Client.Protocol;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Streams;
using Exchange.Gateway.Tests.Support;
using Xunit.Abstractions;

namespace Exchange.Gateway.Tests.Cluster;

/// <summary>
/// Three cluster nodes as child processes; the leader is killed with SIGKILL under a steady flow of orders and
/// deposits, several times. Clients log in to the new leader in the same session from the next sequence number they
/// expect, and resend blindly what they got no answer for; what each received over all its connections is its stream
/// on every node, byte for byte, and every node's order log is the same, read through its market-data port.
/// </summary>
[Collection(nameof(ClusterNodesCollection))]
public sealed class FailoverProcessTests(ITestOutputHelper output) : IDisposable
{
    private const int Kills = 3;
    private const long Price = 120_000;
    private const long Money = 1_000_000_000_000;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private readonly string _root = Directory.CreateDirectory(
        Path.Combine(Path.GetTempPath(), "exchange-failover-" + Guid.NewGuid().ToString("N"))).FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Leader_KilledUnderSteadyFlow_ANewLeaderTakesOver_NothingAcknowledgedIsLost_AndEveryNodeAgrees()
    {
        var (config, addresses) = WriteConfig();
        var hashes = Enumerable.Range(0, 3).Select(_ => new ConcurrentDictionary<long, ulong>()).ToArray();
        var mismatches = new ConcurrentQueue<string>();
        var nodes = new NodeProcess?[3];
        NodeProcess Start(int i) => nodes[i] = new NodeProcess(config, i + 1, hashes[i], mismatches);
        try
        {
            for (var i = 0; i < 3; i++) Start(i);
            foreach (var node in nodes) await node!.Started.WaitAsync(Wait);

            await using (var admin = await ExchangeClient.LoginToLeaderAsync(addresses, "admin", TestServer.Password("admin"), 0, "", Wait))
            {
                for (var account = 1; account <= 2; account++)
                {
                    var t = await admin.DepositAsync(account, Money);
                    Assert.Equal('T', (await admin.WaitForAsync(m => m.Token == t, Wait)).Type);
                }
            }
            await using (var feed = await ExchangeClient.LoginToLeaderAsync(addresses, "feed", TestServer.Password("feed"), 0, "", Wait))
            {
                var t = await feed.MarkAsync(TestServer.Btc, Price);
                Assert.Equal('M', (await feed.WaitForAsync(m => m.Token == t, Wait)).Type);
            }

            // The steady flow: t1 makes (buys at the price, sells a tick above), t2 takes with IOCs at both prices,
            // the admin deposits 1 USD + token micro-USD to account 4 (which never trades) with every message.
            long deposited = 0;
            // Each reads its stream from message 1 and keeps what it received; after a failover it logs in again in the
            // same session from the next message it expects (a gap or a duplicate fails its run).
            var flow = new[]
            {
                new ResendingFlow(addresses, "t1", TestServer.Password("t1"), t => Inbound.NewOrder(t, 1, TestServer.Btc, (byte)(t % 2), 0, 0, 0, 0,
                    Price + (long)(t % 2), 1), window: 8, fromSequence: 1) { KeepReceived = true },
                new ResendingFlow(addresses, "t2", TestServer.Password("t2"), t => Inbound.NewOrder(t, 2, TestServer.Btc, (byte)(1 - t % 2), 0, 1, 0, 0,
                    Price + 1 - (long)(t % 2), 1), window: 8, fromSequence: 1) { KeepReceived = true },
                new ResendingFlow(addresses, "admin", TestServer.Password("admin"), t =>
                {
                    Interlocked.Add(ref deposited, 1_000_000 + t);
                    return Inbound.DepositTo(t, 4, 1_000_000 + t);
                }, window: 8, firstToken: 3, fromSequence: 1) { KeepReceived = true }, // tokens 1 and 2 were the admin's deposits above
            };
            var flowUsers = new[] { "t1", "t2", "admin" };
            using var stop = new CancellationTokenSource();
            var running = flow.Select(c => Task.Run(() => c.RunAsync(stop.Token))).ToArray();
            int Answered() => flow.Sum(c => c.Answered);

            var failovers = new List<double>();
            for (var kill = 0; kill < Kills; kill++)
            {
                await Until(() => Answered() >= (kill + 1) * 300 || running.Any(t => t.IsCompleted), "flow before the kill");
                var leader = await LeaderAsync(nodes);
                var term = nodes[leader]!.Term;
                var killedAt = Stopwatch.GetTimestamp();
                nodes[leader]!.Kill();
                var dead = nodes[leader]!;

                long? firstAnswer = null;
                await Until(() => (firstAnswer = flow.Select(c => c.FirstAnswerAfter(killedAt)?.At).Min()) is not null
                                  || running.Any(t => t.IsCompleted), "an answer from the new leader");
                Assert.False(running.Any(t => t.IsFaulted), string.Join("; ", running.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!.Message)));
                var next = await LeaderAsync(nodes);
                Assert.NotEqual(leader, next);
                Assert.True(nodes[next]!.Term > term, $"the new leader's term {nodes[next]!.Term} follows {term}");
                failovers.Add(Stopwatch.GetElapsedTime(killedAt, firstAnswer!.Value).TotalMilliseconds);

                // The dead node comes back on its own log and catches up with the others.
                var reached = nodes[next]!.LastApplied;
                Start(leader);
                await nodes[leader]!.Started.WaitAsync(Wait);
                await Until(() => nodes[leader]!.LastApplied >= reached, $"node {leader + 1} catching up to index {reached}", () => Describe(nodes));
                dead.Dispose();
            }

            await stop.CancelAsync();
            await Task.WhenAll(running).WaitAsync(Wait);

            // Every node at the same last index, with the same state after every index two of them applied.
            await Until(() => nodes.All(n => n!.LastApplied == nodes[0]!.LastApplied), "every node at the same index", () => Describe(nodes));
            var last = nodes[0]!.LastApplied;
            Assert.Empty(mismatches);
            int compared = 0;
            foreach (var (index, hash) in hashes[0])
            {
                for (var i = 1; i < 3; i++)
                {
                    if (!hashes[i].TryGetValue(index, out var other)) continue;
                    Assert.True(hash == other, $"nodes 1 and {i + 1} differ after log index {index}");
                    compared++;
                }
            }
            Assert.Equal(hashes[0][last], hashes[1][last]);
            Assert.Equal(hashes[0][last], hashes[2][last]);

            // One session on every node, in every login of every client.
            var session = flow[0].Session;
            Assert.All(nodes, n => Assert.Equal(session, n!.Session));
            Assert.All(flow, c => Assert.Equal(session, c.Session));

            // The messages that came after each flow's last answer: one more login in the session, from the next one; the
            // admin asks for account 4 there (a journaled query: its answer is in the admin's stream on every node).
            var received = new List<ServerMessage>[flow.Length];
            long queried = -1;
            for (var c = 0; c < flow.Length; c++)
            {
                received[c] = [.. flow[c].Received];
                await using var tail = await ExchangeClient.LoginToLeaderAsync(addresses, flowUsers[c], TestServer.Password(flowUsers[c]),
                    flow[c].NextSequence, session, Wait);
                Assert.Equal(flow[c].NextSequence, tail.LoginSequence);
                if (flowUsers[c] == "admin")
                {
                    await tail.QueryAsync(4);
                    queried = (await tail.WaitForAsync(m => m.Type == 'Q' && m.Account == 4, Wait)).Balance;
                }
                await DrainAsync(tail);
                received[c].AddRange(tail.History);
            }
            await Until(() => nodes[0]!.LastApplied > last && nodes.All(n => n!.LastApplied == nodes[0]!.LastApplied),
                "every node at the same index, past the query", () => Describe(nodes));
            var final = nodes[0]!.LastApplied;

            // Every node's order log, read through its own market-data port (two are followers), from the first message
            // it holds: 1, a node brought back by a snapshot included (it fetched what it lacked from a peer).
            var marketData = new List<(int Node, long First, IReadOnlyList<ServerMessage> Received)>();
            for (var i = 0; i < 3; i++)
            {
                var first = StreamRecords.First(Path.Combine(_root, $"node-{i + 1}", "streams", StreamStore.MarketDataStreamName));
                await using var reader = await ExchangeClient.LoginAsync("127.0.0.1", addresses[i].Port + 1, "t3", TestServer.Password("t3"), first, Wait);
                Assert.Equal(session, reader.Session);
                await DrainAsync(reader);
                marketData.Add((i, first, reader.History));
            }

            // A clean stop: every node's committed state satisfies the invariants, conservation to the unit included, and
            // is the same state.
            var stops = new List<string>();
            foreach (var node in nodes)
            {
                var stopped = await node!.StopAsync(Wait);
                Assert.EndsWith(" ok", stopped);
                Assert.StartsWith($"stopped {final} ", stopped);
                if (hashes[0].TryGetValue(final, out var finalHash)) Assert.Equal($"stopped {final} {finalHash:x16} ok", stopped);
                stops.Add(stopped);
            }
            Assert.Single(stops.Distinct());

            // Every deposit was answered; each ran exactly once (none acknowledged was lost, none resent ran twice).
            var balance = nodes[0]!.Balances[4];
            Assert.All(nodes, n => Assert.Equal(balance, n!.Balances[4]));
            Assert.Equal(balance, queried);
            output.WriteLine($"{Kills} kills; failover (kill to the first answer from the new leader): " +
                             string.Join(", ", failovers.Select(f => $"{f:F0} ms")) + $"; {flow.Sum(c => c.Sent)} commands, " +
                             $"{flow.Sum(c => c.Resent)} resent after {flow.Sum(c => c.Relogins)} logins; {compared} hashes compared " +
                             $"up to log index {last}; deposits {deposited}, account 4 holds {balance} ({balance - deposited} ran twice)");
            // Exactly once: the core deduplicates by token, and its token state is in the replicated log and snapshots,
            // so a deposit resent to a new leader after the old one committed it is answered, not executed again.
            Assert.True(balance == deposited, $"account 4 holds {balance}, not the {deposited} deposited: " +
                                              (balance < deposited ? "an acknowledged deposit was lost" : "a resent deposit ran twice"));

            // Every stream is the same on every node, byte for byte, from message 1 (a node brought back by a snapshot
            // fetched the messages before it from a peer: docs/cluster.md, "Streams in snapshots").
            var streams = Enumerable.Range(0, 3).Select(i => Path.Combine(_root, $"node-{i + 1}"))
                .Select(d => (Records: StreamRecords.Read(d), Firsts: Directory.GetDirectories(Path.Combine(d, "streams"))
                    .ToDictionary(s => Path.GetFileName(s), s => StreamRecords.First(s)))).ToList();
            var gapped = 0;
            foreach (var name in streams[0].Records.Keys)
            {
                var full = streams.OrderBy(s => s.Firsts[name]).First();
                for (var i = 0; i < 3; i++)
                {
                    var skip = (int)(streams[i].Firsts[name] - full.Firsts[name]);
                    if (skip > 0) gapped++;
                    Assert.True(streams[i].Firsts[name] == 1, $"stream {name} of node {i + 1} begins at message {streams[i].Firsts[name]}");
                    AssertSame(full.Records[name].Skip(skip).Select(r => r.Bytes).ToList(), streams[i].Records[name].Select(r => r.Bytes).ToList(),
                        $"stream {name} of node {i + 1}");
                }
            }
            // What each client received, over every leader it logged in to, is its stream on every node.
            for (var c = 0; c < flow.Length; c++)
            {
                Assert.True(received[c].Select((m, i) => m.Sequence == i + 1).All(x => x), $"{flowUsers[c]} received a gap or a duplicate");
                var name = StreamStore.UserStreamName(flowUsers[c]);
                for (var i = 0; i < 3; i++)
                    AssertSame(received[c].Skip((int)streams[i].Firsts[name] - 1).Select(m => m.Raw).ToList(),
                        streams[i].Records[name].Select(r => r.Bytes[MessageLog.HeaderLength..]).ToList(), $"{flowUsers[c]}'s stream on node {i + 1}");
            }
            foreach (var (node, first, served) in marketData)
                AssertSame(streams[node].Records[StreamStore.MarketDataStreamName].Select(r => r.Bytes[MessageLog.HeaderLength..]).ToList(),
                    served.Select(m => m.Raw).ToList(), $"the order log node {node + 1} served from {first}");
            output.WriteLine($"session {session}; streams equal on every node from message 1 ({gapped} began later); " +
                             $"received {string.Join(", ", received.Select((r, i) => $"{flowUsers[i]} {r.Count}"))}; order log " +
                             $"{streams[0].Records[StreamStore.MarketDataStreamName].Count} messages");
        }
        finally
        {
            foreach (var node in nodes) node?.Dispose();
        }
    }

    private static void AssertSame(IReadOnlyList<byte[]> expected, IReadOnlyList<byte[]> actual, string what)
    {
        Assert.True(expected.Count == actual.Count, $"{what}: {actual.Count} messages, not {expected.Count}");
        for (var i = 0; i < expected.Count; i++)
            Assert.True(expected[i].AsSpan().SequenceEqual(actual[i]), $"{what}: message {i + 1} of {expected.Count} differs");
    }

    // Reads until nothing more arrives for a second.
    private static async Task DrainAsync(ExchangeClient client)
    {
        try
        {
            while (true) await client.ReceiveAsync(TimeSpan.FromSeconds(1));
        }
        catch (TimeoutException)
        {
        }
    }

    private (string Config, IReadOnlyList<(string Host, int Port)> Addresses) WriteConfig()
    {
        // Six free ports for Raft and order entry; each order-entry port's next one (market data) free too.
        var ports = new List<int>();
        while (ports.Count < 6)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
            if (ports.Count % 2 == 1)
            {
                try
                {
                    using var next = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    next.Bind(new IPEndPoint(IPAddress.Loopback, port + 1));
                }
                catch (SocketException)
                {
                    continue;
                }
            }
            if (!ports.Contains(port) && !ports.Contains(port + 1) && !ports.Contains(port - 1)) ports.Add(port);
        }
        // Three more for the nodes' stream fetch (docs/cluster.md, "Streams in snapshots"), none of the others' nor their next.
        while (ports.Count < 9)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
            if (!ports.Contains(port) && !ports.Contains(port - 1)) ports.Add(port);
        }
        var members = Enumerable.Range(0, 3).Select(i => new ClusterMemberConfig
        {
            Id = i + 1, Raft = $"127.0.0.1:{ports[2 * i]}", Client = $"127.0.0.1:{ports[2 * i + 1]}", Streams = $"127.0.0.1:{ports[6 + i]}",
        }).ToList();
        var config = TestServer.Config() with
        {
            MarketDataPort = null, // each node's order-entry port + 1: served by followers and the leader alike
            DropCopyPort = -1,
            SnapshotPort = -1,
            Cluster = new ClusterConfig
            {
                NodeId = 1,
                Members = members,
                DataDirectory = _root,
                LowerElectionTimeoutMs = 1000,
                UpperElectionTimeoutMs = 2000,
                WalChunkBytes = 1024 * 1024,
                // Snapshots and compaction happen during the test: a restarted node may be sent one.
                SnapshotEveryCommands = 1_000,
            },
        };
        var path = Path.Combine(_root, "config.json");
        File.WriteAllText(path, ConfigLoader.ToJson(config));
        return (path, members.Select(m => ("127.0.0.1", IPEndPoint.Parse(m.Client).Port)).ToList());
    }

    private static async Task<int> LeaderAsync(NodeProcess?[] nodes)
    {
        var leader = -1;
        await Until(() =>
        {
            leader = Array.FindIndex(nodes, n => n is { HasExited: false, Term: > 0 });
            return leader >= 0;
        }, "a leader");
        return leader;
    }

    private static async Task Until(Func<bool> condition, string what, Func<string>? state = null)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"no {what} within {Wait.TotalSeconds} s{(state is null ? "" : ": " + state())}");
            await Task.Delay(20);
        }
    }

    /// <summary>Each node's last applied index, term and the end of its stderr: what a timeout needs to be explained.</summary>
    private static string Describe(NodeProcess?[] nodes) => string.Join("; ", nodes.Select((n, i) => n is null
        ? $"node {i + 1}: not running"
        : $"node {i + 1}: applied {n.LastApplied}, term {n.Term}, exited {n.HasExited}, stderr: {Tail(n.Stderr)}"));

    private static string Tail(string text) => text.Length <= 600 ? text : "..." + text[^600..];
}
