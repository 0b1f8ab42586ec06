using System.Collections.Concurrent;
using Exchange.Core.Journal;

namespace Exchange.Cluster.Tests;

/// <summary>
/// A node's snapshot copies the state on the thread that takes it and serializes the copy on a pool thread: what that
/// thread applies after the copy must not reach the snapshot (docs/cluster.md, "Snapshots are the engine's snapshots").
/// </summary>
[Collection(nameof(ClusterCollection))]
public sealed class SnapshotCaptureTests
{
    [Fact]
    public async Task Snapshot_SerializedAfterLaterCommandsWereApplied_HoldsTheStateAtItsIndex()
    {
        await using var cluster = await TestCluster.StartAsync(snapshotEveryCommands: 50);
        var leader = await cluster.LeaderAsync();
        // Every node's snapshot waits on its pool thread, before serializing, until the commands below are applied.
        var taken = new ConcurrentDictionary<int, long>();
        using var release = new ManualResetEventSlim(false);
        for (int i = 0; i < cluster.Count; i++)
        {
            int slot = i;
            cluster[i]!.StateMachine.BeforeSnapshotWrite = index =>
            {
                taken.TryAdd(slot, index);
                release.Wait(TestCluster.Timeout);
            };
        }

        var random = new Random(23);
        await cluster.CommitAsync(leader, Workload.Opening());
        var deadline = DateTime.UtcNow + TestCluster.Timeout;
        while (taken.Count < cluster.Count && DateTime.UtcNow < deadline)
            await cluster.CommitAsync(leader, Workload.Orders(random, 25));
        Assert.Equal(cluster.Count, taken.Count);

        // Applied after every snapshot was captured, before any is serialized.
        for (int batch = 0; batch < 4; batch++)
            await cluster.CommitAsync(leader, Workload.Orders(random, 25));
        long last = leader.StateMachine.AppliedIndex;
        await cluster.WaitAppliedAsync(last);
        release.Set();

        for (int i = 0; i < cluster.Count; i++)
        {
            var machine = cluster[i]!.StateMachine;
            long index = taken[i];
            Assert.True(index < last, $"node {i + 1} applied entries after its snapshot at {index}");
            while (machine.Snapshot is not { } s || s.Index < index)
            {
                Assert.True(DateTime.UtcNow < deadline, $"node {i + 1} wrote no snapshot at {index}");
                await Task.Delay(10);
            }

            var snapshot = Assert.IsType<RaftSnapshot>(machine.Snapshot);
            Assert.Equal(index, snapshot.Index);
            var (state, _) = RaftSnapshot.Unpack(File.ReadAllBytes(snapshot.Path));
            var restored = Workload.Fresh();
            SnapshotCodec.Read(state.Span, restored);
            var hashes = cluster.Probes[i].Hashes;
            Assert.Equal(hashes[index], restored.StateHash());
            Assert.NotEqual(hashes[last], restored.StateHash());
            Assert.True(machine.MaxSnapshotPause > TimeSpan.Zero);
        }
    }
}
