using System.Collections.Concurrent;
using Exchange.Client;
using Exchange.Gateway.Tests.Support;
using Exchange.Testing;
using Xunit.Abstractions;

namespace Exchange.Gateway.Tests.Cluster;

/// <summary>
/// A node whose write-ahead log stopped (docs/cluster.md, "A node whose log has stopped restarts itself"): the library
/// keeps the first exception of its log's background work (the flusher's or the applier's) and fails everything after
/// it, so the node would stay up neither voting nor applying. Its host re-opens it from its disk in the same process.
/// The fault is injected through the node's <c>applied</c> hook, which runs on the log's applier: one exception, once.
/// </summary>
[Collection(nameof(ClusterNodesCollection))]
public sealed class NodeRestartTests(ITestOutputHelper output)
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
        await WaitQuietAsync(nodes);

        // Same state hash at every index two nodes applied (the restarted node applied some of them twice, from its disk).
        Assert.Empty(faults.Mismatches);
        Assert.True(faults.Compared(follower) > 0, "no index of the restarted node was compared with another node's");
        await AssertSameStateAsync(nodes, last, follower, acknowledged);
    }

    // Stops every node (the followers first: the leader then commits nothing more, so every node stops at the same
    // entry); each has the same state hash and sequence, passes the invariant checker and holds every acknowledged
    // deposit (a deposit whose answer a lost connection took may be in too).
    private static async Task AssertSameStateAsync(TestNodes nodes, int last, int restarted, long acknowledged)
    {
        var hashes = new ulong[nodes.Count];
        var balances = new long[nodes.Count];
        var applied = new long[nodes.Count];
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
            $"leader node {last + 1}, restarted node {restarted + 1}: {states}");
        Assert.All(balances, b => Assert.True(b >= acknowledged, $"balance {b} < acknowledged {acknowledged}"));
    }

    [Fact]
    public async Task Leader_WhoseLogStopped_RestartsItself_ANewLeaderTakesOver_AndNothingAcknowledgedIsLost()
    {
        var faults = new Faults();
        await using var nodes = await TestNodes.StartAsync(applied: faults.Applied);
        faults.Nodes = nodes;
        var leader = await nodes.LeaderAsync();
        var host = nodes[leader]!;

        using var stop = new CancellationTokenSource();
        var flow = new Flow(nodes);
        var running = flow.RunAsync(stop.Token);
        await flow.WaitAcknowledgedAsync(20);

        // The leader's applier (which records its own term's entries for its pipeline) throws once: its log stops.
        var thrown = 0;
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        host.Node.StateMachine.BeforeApply = index =>
        {
            if (Interlocked.Exchange(ref thrown, 1) == 0)
                throw new IOException($"{Faults.Message} (the leader, log index {index})");
        };
        await Until(() => host.Restarts == 1, $"node {leader + 1} did not restart itself (fault: {host.Fault?.Message})");
        Assert.Null(host.Fault);
        output.WriteLine($"leader node {leader + 1} re-opened {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms after the fault was armed");

        // Some node leads again and takes orders (the flow logs in there), and the restarted node catches up.
        await flow.WaitAcknowledgedAsync(flow.Count + 20);
        output.WriteLine($"20 more deposits acknowledged {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms after");
        await stop.CancelAsync();
        long acknowledged = await running;
        var last = await nodes.LeaderAsync();
        await WaitQuietAsync(nodes);
        Assert.Empty(faults.Mismatches);
        Assert.True(faults.Compared(leader) > 0, "no index of the restarted node was compared with another node's");
        await AssertSameStateAsync(nodes, last, leader, acknowledged);
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

    // The flow has stopped: waits until every node has applied the same index, unchanged for half a second (the leader's
    // applier records its own entries after its pipeline applied them, so its applied index alone may lag one entry).
    private static async Task WaitQuietAsync(TestNodes nodes)
    {
        var deadline = DateTime.UtcNow + Wait;
        long seen = -1;
        var since = DateTime.UtcNow;
        while (true)
        {
            var indexes = Enumerable.Range(0, nodes.Count).Select(i => nodes[i]!.Node.StateMachine.AppliedIndex).ToArray();
            if (indexes.Any(x => x != indexes[0]) || indexes[0] != seen)
            {
                seen = indexes.All(x => x == indexes[0]) ? indexes[0] : -1;
                since = DateTime.UtcNow;
            }
            else if (DateTime.UtcNow - since > TimeSpan.FromMilliseconds(500))
            {
                return;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the nodes did not settle at one applied index: {string.Join(", ", indexes)}");
            await Task.Delay(20);
        }
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
                catch (Exception e) when (e is not Xunit.Sdk.XunitException && !stop.IsCancellationRequested)
                {
                    // The leader changed, or stopped its order entry: log in to the next one.
                }
                catch (Exception e) when (e is not Xunit.Sdk.XunitException)
                {
                    // Stopping.
                }
            }
            return Acknowledged;
        }

        public Task WaitAcknowledgedAsync(int count) => Until(() => Count >= count, $"fewer than {count} deposits acknowledged");
    }
}
