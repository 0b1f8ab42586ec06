namespace Exchange.Cluster.Tests;

/// <summary>Three Raft nodes in this process on 127.0.0.1: what the leader commits, every node applies alike.</summary>
[Collection(nameof(ClusterCollection))]
public sealed class ReplicationTests
{
    [Fact]
    public async Task Batches_CommittedByLeader_EveryNodeHasTheSameStateAtEveryIndex()
    {
        await using var cluster = await TestCluster.StartAsync();
        var leader = await cluster.LeaderAsync();
        var random = new Random(15);
        await cluster.CommitAsync(leader, Workload.Opening());
        for (int batch = 0; batch < 40; batch++)
            await cluster.CommitAsync(leader, Workload.Orders(random, 1 + random.Next(40)));

        long index = leader.StateMachine.AppliedIndex;
        await cluster.WaitAppliedAsync(index);
        cluster.AssertConsistent(index);
        Assert.True(cluster.Probes[0].Exchange!.LastTradeId > 0, "the workload traded");
    }

    [Fact]
    public async Task Follower_StoppedAndRestarted_CatchesUpToTheSameState()
    {
        await using var cluster = await TestCluster.StartAsync();
        var leader = await cluster.LeaderAsync();
        var random = new Random(16);
        await cluster.CommitAsync(leader, Workload.Opening());
        await cluster.CommitAsync(leader, Workload.Orders(random, 30));
        int follower = FollowerOf(cluster, leader);
        await cluster.WaitAppliedAsync(leader.StateMachine.AppliedIndex);
        await cluster.StopNodeAsync(follower);

        // Two of three still make a majority.
        for (int batch = 0; batch < 10; batch++)
            await cluster.CommitAsync(leader, Workload.Orders(random, 20));
        await cluster.StartNodeAsync(follower);

        long index = leader.StateMachine.AppliedIndex;
        await cluster.WaitAppliedAsync(index);
        cluster.AssertConsistent(index);
    }

    [Fact]
    public async Task Follower_FarBehindASnapshot_IsBroughtBackByTheSnapshot()
    {
        await using var cluster = await TestCluster.StartAsync(snapshotEveryCommands: 50);
        var leader = await cluster.LeaderAsync();
        var random = new Random(17);
        await cluster.CommitAsync(leader, Workload.Opening());
        int follower = FollowerOf(cluster, leader);
        await cluster.WaitAppliedAsync(leader.StateMachine.AppliedIndex);
        await cluster.StopNodeAsync(follower);

        for (int batch = 0; batch < 12; batch++)
            await cluster.CommitAsync(leader, Workload.Orders(random, 25));
        // The leader's log below its snapshot goes: the follower's next entry is no longer there to send.
        var deadline = DateTime.UtcNow + TestCluster.Timeout;
        while (leader.StateMachine.Snapshot is not { Index: > 3 } && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.NotNull(leader.StateMachine.Snapshot);

        await cluster.StartNodeAsync(follower);
        await cluster.CommitAsync(leader, Workload.Orders(random, 5));
        long index = leader.StateMachine.AppliedIndex;
        await cluster.WaitAppliedAsync(index);

        var restarted = cluster[follower]!.StateMachine;
        Assert.True(restarted.SnapshotsInstalled > 0, "the follower caught up by snapshot");
        Assert.Equal(cluster.Probes[LeaderSlot(cluster, leader)].Hashes[index], cluster.Probes[follower].Hashes[index]);
        cluster.AssertConsistent(index - 0);
    }

    [Fact]
    public async Task Node_RestartedFromItsOwnSnapshotAndLog_ArrivesAtTheSameState()
    {
        await using var cluster = await TestCluster.StartAsync(snapshotEveryCommands: 40);
        var leader = await cluster.LeaderAsync();
        var random = new Random(18);
        await cluster.CommitAsync(leader, Workload.Opening());
        for (int batch = 0; batch < 8; batch++)
            await cluster.CommitAsync(leader, Workload.Orders(random, 15));
        long index = leader.StateMachine.AppliedIndex;
        await cluster.WaitAppliedAsync(index);
        int follower = FollowerOf(cluster, leader);
        Assert.NotNull(cluster[follower]!.StateMachine.Snapshot);

        await cluster.StopNodeAsync(follower);
        await cluster.StartNodeAsync(follower);
        await cluster.CommitAsync(leader, Workload.Orders(random, 5));
        index = leader.StateMachine.AppliedIndex;
        await cluster.WaitAppliedAsync(index);
        cluster.AssertConsistent(index);
    }

    [Fact]
    public async Task PrivateMemoryLogs_EveryNodeStoppedAndStartedAgain_ComeBackFromTheirOwnLogs()
    {
        // walMemory "private": the pages live in each process and reach the chunk files only by the log's flushes, so
        // after every node stopped the state can only come from what those flushes wrote (no node is left to send it).
        await using var cluster = await TestCluster.StartAsync(wal: WalMemory.Private);
        var leader = await cluster.LeaderAsync();
        var random = new Random(19);
        await cluster.CommitAsync(leader, Workload.Opening());
        for (int batch = 0; batch < 12; batch++)
            await cluster.CommitAsync(leader, Workload.Orders(random, 1 + random.Next(25)));
        long index = leader.StateMachine.AppliedIndex;
        await cluster.WaitAppliedAsync(index);
        cluster.AssertConsistent(index);

        // Each node applies its own committed log at its start, before any leader is elected (the probes fail the
        // test if a node arrives at another state than before at any index).
        await RestartEveryNodeAsync(cluster, index, "a private-memory log");
        leader = await cluster.LeaderAsync();
        await cluster.CommitAsync(leader, Workload.Orders(random, 10));
        index = leader.StateMachine.AppliedIndex;
        await cluster.WaitAppliedAsync(index);
        cluster.AssertConsistent(index);
    }

    [Fact]
    public async Task Logs_SwitchedBetweenSharedAndPrivateMemoryAtARestart_ComeBackFromTheirOwnPages()
    {
        // The two strategies keep the same chunk files: every node stopped and started with the other one must come
        // back at the same index and state from its own log (no node is left to send it anything).
        await using var cluster = await TestCluster.StartAsync();
        var random = new Random(20);
        var leader = await cluster.LeaderAsync();
        await cluster.CommitAsync(leader, Workload.Opening());
        foreach (var wal in new[] { WalMemory.Private, WalMemory.Shared })
        {
            for (int batch = 0; batch < 6; batch++)
                await cluster.CommitAsync(leader, Workload.Orders(random, 1 + random.Next(25)));
            long index = leader.StateMachine.AppliedIndex;
            await cluster.WaitAppliedAsync(index);
            await RestartEveryNodeAsync(cluster, index, $"a {wal} log", i => cluster.Options(i) with { WalMemory = wal });
            leader = await cluster.LeaderAsync();
        }

        await cluster.CommitAsync(leader, Workload.Orders(random, 10));
        await cluster.WaitAppliedAsync(leader.StateMachine.AppliedIndex);
        cluster.AssertConsistent(leader.StateMachine.AppliedIndex);
    }

    /// <summary>Stops every node, starts them all again at once (with <paramref name="options"/> when given) and checks
    /// each came back at <paramref name="index"/> or later from its own log: no node was left to send it anything.</summary>
    private static async Task RestartEveryNodeAsync(TestCluster cluster, long index, string what, Func<int, ClusterOptions>? options = null)
    {
        for (int i = 0; i < cluster.Count; i++)
            await cluster.StopNodeAsync(i);
        await Task.WhenAll(Enumerable.Range(0, cluster.Count).Select(i => cluster.StartNodeAsync(i, options: options?.Invoke(i))));
        for (int i = 0; i < cluster.Count; i++)
            Assert.True(cluster[i]!.StateMachine.AppliedIndex >= index,
                $"node {i + 1} came back with {what} at index {cluster[i]!.StateMachine.AppliedIndex}, not {index}");
    }

    private static int FollowerOf(TestCluster cluster, ClusterNode leader)
    {
        for (int i = 0; i < cluster.Count; i++)
            if (cluster[i] is { } node && node != leader)
                return i;
        throw new InvalidOperationException("No follower.");
    }

    private static int LeaderSlot(TestCluster cluster, ClusterNode leader)
    {
        for (int i = 0; i < cluster.Count; i++)
            if (cluster[i] == leader)
                return i;
        throw new InvalidOperationException("The leader is not running.");
    }
}

/// <summary>Cluster tests bind ports and run Raft timers: one at a time, never beside each other.</summary>
[CollectionDefinition(nameof(ClusterCollection), DisableParallelization = true)]
public sealed class ClusterCollection;
