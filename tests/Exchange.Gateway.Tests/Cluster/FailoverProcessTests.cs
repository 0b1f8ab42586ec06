using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Exchange.Client;
using Exchange.Client.Protocol;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Tests.Support;
using Xunit.Abstractions;

namespace Exchange.Gateway.Tests.Cluster;

/// <summary>
/// Three cluster nodes as child processes; the leader is killed with SIGKILL under a steady flow of orders and
/// deposits, several times. Clients log in to the new leader and resend blindly what they got no answer for.
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
            var flow = new[]
            {
                new ResendingFlow(addresses, "t1", TestServer.Password("t1"), t => Inbound.NewOrder(t, 1, TestServer.Btc, (byte)(t % 2), 0, 0, 0, 0,
                    Price + (long)(t % 2), 1), window: 8),
                new ResendingFlow(addresses, "t2", TestServer.Password("t2"), t => Inbound.NewOrder(t, 2, TestServer.Btc, (byte)(1 - t % 2), 0, 1, 0, 0,
                    Price + 1 - (long)(t % 2), 1), window: 8),
                new ResendingFlow(addresses, "admin", TestServer.Password("admin"), t =>
                {
                    Interlocked.Add(ref deposited, 1_000_000 + t);
                    return Inbound.DepositTo(t, 4, 1_000_000 + t);
                }, window: 8, firstToken: 3), // tokens 1 and 2 were the admin's deposits above
            };
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
                await Until(() => nodes[leader]!.LastApplied >= reached, $"node {leader + 1} catching up to index {reached}");
                dead.Dispose();
            }

            await stop.CancelAsync();
            await Task.WhenAll(running).WaitAsync(Wait);

            // Every node at the same last index, with the same state after every index two of them applied.
            await Until(() => nodes.All(n => n!.LastApplied == nodes[0]!.LastApplied), "every node at the same index");
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

            // Every deposit was answered; each ran exactly once (none acknowledged was lost, none resent ran twice).
            long balance;
            await using (var admin = await ExchangeClient.LoginToLeaderAsync(addresses, "admin", TestServer.Password("admin"), 0, "", Wait))
            {
                await admin.QueryAsync(4);
                balance = (await admin.WaitForAsync(m => m.Type == 'Q' && m.Account == 4, Wait)).Balance;
            }
            output.WriteLine($"{Kills} kills; failover (kill to the first answer from the new leader): " +
                             string.Join(", ", failovers.Select(f => $"{f:F0} ms")) + $"; {flow.Sum(c => c.Sent)} commands, " +
                             $"{flow.Sum(c => c.Resent)} resent after {flow.Sum(c => c.Relogins)} logins; {compared} hashes compared " +
                             $"up to log index {last}; deposits {deposited}, account 4 holds {balance} ({balance - deposited} ran twice)");
            // Exactly once: the core deduplicates by token, and its token state is in the replicated log and snapshots,
            // so a deposit resent to a new leader after the old one committed it is answered, not executed again.
            Assert.True(balance == deposited, $"account 4 holds {balance}, not the {deposited} deposited: " +
                                              (balance < deposited ? "an acknowledged deposit was lost" : "a resent deposit ran twice"));

            // A clean stop: every node's committed state satisfies the invariants, conservation to the unit included, and
            // is the same state. The admin's queries are journaled (their answers are messages of its stream), so the log
            // moved past the last index compared above.
            await Until(() => nodes[0]!.LastApplied > last && nodes.All(n => n!.LastApplied == nodes[0]!.LastApplied),
                "every node at the same index, past the queries");
            var final = nodes[0]!.LastApplied;
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
        }
        finally
        {
            foreach (var node in nodes) node?.Dispose();
        }
    }

    private (string Config, IReadOnlyList<(string Host, int Port)> Addresses) WriteConfig()
    {
        var listeners = Enumerable.Range(0, 6).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        foreach (var l in listeners) l.Start();
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        foreach (var l in listeners) l.Stop();
        var members = Enumerable.Range(0, 3).Select(i => new ClusterMemberConfig
        {
            Id = i + 1, Raft = $"127.0.0.1:{ports[2 * i]}", Client = $"127.0.0.1:{ports[2 * i + 1]}",
        }).ToList();
        var config = TestServer.Config() with
        {
            MarketDataPort = -1,
            DropCopyPort = -1,
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
