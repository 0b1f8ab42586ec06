using System.Collections.Concurrent;
using Exchange.Client;
using Exchange.Gateway.Tests.Support;
using Exchange.Testing;

namespace Exchange.Gateway.Tests.Cluster;

/// <summary>
/// A node whose write-ahead log stopped (docs/cluster.md, "A node whose log has stopped restarts itself"): the library
/// keeps the first exception of its log's background work (the flusher's or the applier's) and fails everything after
/// it, so the node would stay up neither voting nor applying. Its host re-opens it from its disk in the same process.
/// The fault is injected through the node's <c>applied</c> hook, which runs on the log's applier: one exception, once.
/// </summary>
[Collection(nameof(ClusterNodesCollection))]
public sealed class NodeRestartTests
{
    private static readonly TimeSpan Wait = TestNodes.Timeout;

    [Fact]
    public async Task Follower_WhoseLogStopped_RestartsItself_CatchesUp_WithTheSameStateHashes()
    {
        var faults = new Faults();
        await using var nodes = await TestNodes.StartAsync(applied: faults.Applied);
        faults.Nodes = nodes;
        var leader = await nodes.LeaderAsync();
        var follower = (leader + 1) % nodes.Count;
        var host = nodes[follower]!;

        using var stop = new CancellationTokenSource();
        var flow = new Flow(nodes);
        var running = flow.RunAsync(stop.Token);
        await flow.WaitAcknowledgedAsync(20);

        // Under the flow, the follower's applier throws once: its log stops for good.
        faults.Arm(follower);
        await Until(() => faults.Thrown, "the injected fault was never thrown");
        await Until(() => host.Restarts == 1, $"node {follower + 1} did not restart itself (fault: {host.Fault?.Message})");
        Assert.Null(host.Fault);

        // It re-joined: the flow goes on, and it catches up with what the leader applies after its restart.
        await flow.WaitAcknowledgedAsync(flow.Count + 20);
        await stop.CancelAsync();
        long acknowledged = await running;
        var last = await nodes.LeaderAsync();
        await nodes.WaitAppliedAsync(nodes[last]!.Node.StateMachine.AppliedIndex);

        // Same state hash at every index two nodes applied (the restarted node applied some of them twice, from its disk).
        Assert.Empty(faults.Mismatches);
        Assert.True(faults.Compared(follower) > 0, "no index of the restarted node was compared with another node's");
        var hashes = new ulong[nodes.Count];
        var balances = new long[nodes.Count];
        var applied = new long[nodes.Count];
        // The followers first: the leader then commits nothing more, so every node stops at the same entry.
        foreach (var i in Enumerable.Range(0, nodes.Count).OrderBy(i => i == last ? 1 : 0))
        {
            var node = nodes[i]!.Node;
            await nodes.StopNodeAsync(i);
            var exchange = node.StateMachine.Exchange;
            InvariantChecker.Check(exchange);
            hashes[i] = exchange.StateHash();
            balances[i] = exchange.Balance(1);
            applied[i] = exchange.LastSequence;
        }
        var states = string.Join(", ", Enumerable.Range(0, nodes.Count).Select(i => $"node {i + 1}: sequence {applied[i]} hash {hashes[i]:x16}"));
        Assert.True(hashes.All(h => h == hashes[0]) && applied.All(a => a == applied[0]),
            $"leader node {last + 1}, restarted node {follower + 1}: {states}");
        // Nothing acknowledged is lost (a deposit whose answer a lost connection took may be in too).
        Assert.All(balances, b => Assert.True(b >= acknowledged, $"balance {b} < acknowledged {acknowledged}"));
    }

    [Fact]
    public async Task Follower_WhoseLogStopped_WithRestartsOff_StopsNamingTheCause()
    {
        var faults = new Faults();
        await using var nodes = await TestNodes.StartAsync(applied: faults.Applied, cluster: c => c with { RestartAttempts = 0 });
        faults.Nodes = nodes;
        var leader = await nodes.LeaderAsync();
        var follower = (leader + 1) % nodes.Count;
        var host = nodes[follower]!;

        using var stop = new CancellationTokenSource();
        var flow = new Flow(nodes);
        var running = flow.RunAsync(stop.Token);
        await flow.WaitAcknowledgedAsync(5);
        faults.Arm(follower);
        await Until(() => host.Fault is not null, $"node {follower + 1} did not stop");
        await stop.CancelAsync();
        await running;

        Assert.Equal(0, host.Restarts);
        Assert.False(host.FaultNeedsRepair);
        Assert.Contains("its write-ahead log stopped", host.Fault!.Message);
        Assert.Contains(Faults.Message, host.Fault.Message);
        Assert.Contains("restarts are off", host.Fault.Message);
    }

    private static async Task Until(Func<bool> condition, string failure)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException(failure);
            await Task.Delay(20);
        }
    }

    // Each node's state hash at every index it applied; the armed node's applier throws once.
    private sealed class Faults
    {
        public const string Message = "injected: the applier fails once";
        private readonly ConcurrentDictionary<long, ulong>[] _hashes = [new(), new(), new()];
        private int _armed = -1;
        private int _thrown;

        public TestNodes? Nodes { get; set; }

        public ConcurrentQueue<string> Mismatches { get; } = new();

        public bool Thrown => Volatile.Read(ref _thrown) != 0;

        public void Arm(int node) => Volatile.Write(ref _armed, node);

        public void Applied(int node, long index, Exchange.Core.Exchange exchange)
        {
            var hash = exchange.StateHash();
            // On the follower's applier only (a leader calls the hook from its pipeline's thread at its batch ends).
            if (node == Volatile.Read(ref _armed) && Nodes?[node] is { Server: null } && Interlocked.CompareExchange(ref _thrown, 1, 0) == 0)
                throw new IOException($"{Message} (node {node + 1}, log index {index})");
            var seen = _hashes[node].GetOrAdd(index, hash);
            if (seen != hash) Mismatches.Enqueue($"node {node + 1} at index {index}: {hash:x16}, before {seen:x16}");
            for (var other = 0; other < _hashes.Length; other++)
                if (other != node && _hashes[other].TryGetValue(index, out var theirs) && theirs != hash)
                    Mismatches.Enqueue($"index {index}: node {node + 1} {hash:x16}, node {other + 1} {theirs:x16}");
        }

        // How many indexes the node applied that another node applied too.
        public int Compared(int node)
        {
            var n = 0;
            foreach (var index in _hashes[node].Keys)
                for (var other = 0; other < _hashes.Length; other++)
                    if (other != node && _hashes[other].ContainsKey(index))
                    {
                        n++;
                        break;
                    }
            return n;
        }
    }

    // The admin deposits to account 1 one at a time, each waited for, at the leader; logs in again if the leader changes.
    private sealed class Flow(TestNodes nodes)
    {
        private long _acknowledged;
        private int _count;

        // The amount acknowledged, and how many deposits.
        public long Acknowledged => Interlocked.Read(ref _acknowledged);

        public int Count => Volatile.Read(ref _count);

        public async Task<long> RunAsync(CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await using var admin = await nodes.LoginAsync("admin");
                    await admin.QueryAsync(0);
                    admin.NextToken = (await admin.WaitForAsync(m => m.Type == 'Q' && m.Account == 0, Wait)).NextToken;
                    while (!stop.IsCancellationRequested)
                    {
                        var token = await admin.DepositAsync(1, 1_000_000);
                        var answer = await admin.WaitForAsync(m => m.Token == token, Wait);
                        Assert.Equal('T', answer.Type);
                        Interlocked.Add(ref _acknowledged, 1_000_000);
                        Interlocked.Increment(ref _count);
                    }
                }
                catch (Exception e) when (e is IOException or TimeoutException or System.Net.Sockets.SocketException
                                              or System.Threading.Channels.ChannelClosedException)
                {
                    // The leader changed (not expected here): log in to the next one.
                }
            }
            return Acknowledged;
        }

        public Task WaitAcknowledgedAsync(int count) => Until(() => Count >= count, $"fewer than {count} deposits acknowledged");
    }
}
