using Exchange.Core.Commands;
using Exchange.Core.Journal;
using Exchange.Core.Pipeline;
using Exchange.Testing;
using static Exchange.Cluster.Tests.RaftJournalTests;

namespace Exchange.Cluster.Tests;

/// <summary>
/// Applying once on the leader (docs/cluster.md): the single-thread pipeline runs on the state machine's own exchange,
/// which leaves the term's entries to it, snapshots from it between ring batches, and takes it back when the pipeline
/// stops; every node still holds the same state after the same index.
/// </summary>
[Collection(nameof(ClusterCollection))]
public sealed class ApplyOnceTests
{
    [Fact]
    public async Task LeaderSharingItsState_AppliesEachCommandOnce_SnapshotsFromThePipeline_AndALateNodeCatchesUpFromThem()
    {
        // Two of three run: a majority. The third joins once the leader's snapshots have compacted its log.
        await using var cluster = await TestCluster.StartAsync(snapshotEveryCommands: 300, running: 2);
        var leader = await cluster.LeaderAsync();
        var lead = await leader.TakeOverAsync(maxEntryBytes: 16 * JournalBatch.RecordSize, shareState: true)
                   ?? throw new InvalidOperationException("The leader did not take over.");
        Assert.True(lead.SharesState);
        long barrier = leader.StateMachine.AppliedIndex;
        Assert.Same(leader.StateMachine.Exchange, lead.Exchange);
        var acks = new AckRecorder();
        var commands = Workload.Opening();
        commands.AddRange(Workload.Orders(new Random(30), 3000));
        using (var pipeline = Start(lead, PipelineTopology.SingleThread, acks))
        {
            foreach (var command in commands)
                await PublishAsync(pipeline, command);
            await Until(() => acks.Count == commands.Count || pipeline.Fault is not null, "every command acknowledged");
            Assert.Null(pipeline.Fault);
        }

        leader.HandBack(lead);
        Assert.False(leader.StateMachine.SharesState);
        Assert.Equal(Enumerable.Range(1, commands.Count).Select(i => (long)i), acks.Acknowledged);
        // Every command ran once on the leader: in its pipeline, none in its state machine.
        Assert.Equal(0, leader.StateMachine.CommandsApplied);
        Assert.Equal(lead.Journal.Entries, leader.StateMachine.EntriesLeftToPipeline);
        Assert.True(lead.Journal.Entries > commands.Count / 16, $"{lead.Journal.Entries} entries: the batches were split");
        var snapshot = leader.StateMachine.Snapshot;
        Assert.True(snapshot is { Index: > 2 }, "the leader snapshotted from its pipeline");

        long index = leader.StateMachine.AppliedIndex;
        await cluster.WaitAppliedAsync(index);
        int leaderSlot = Slot(cluster, leader);
        // The ends of the ring batches (as many as the ring made: a few, or hundreds), compared below with the followers'.
        Assert.True(cluster.Probes[leaderSlot].Hashes.Keys.Count(i => i > barrier) > 0, "the pipeline reported the leader's state at its batch ends");
        // The snapshot the pipeline made at index i holds the state the follower reached at index i.
        var follower = Enumerable.Range(0, 2).First(i => i != leaderSlot);
        var made = (RaftSnapshot)leader.StateMachine.Snapshot!;
        var restored = Workload.Fresh();
        SnapshotCodec.Read(await File.ReadAllBytesAsync(made.Path), restored);
        Assert.Equal(cluster.Probes[follower].Hashes[made.Index], restored.StateHash());

        await cluster.StartNodeAsync(2);
        await cluster.CommitAsync(leader, Workload.Orders(new Random(31), 10));
        index = leader.StateMachine.AppliedIndex;
        await cluster.WaitAppliedAsync(index);
        Assert.True(cluster[2]!.StateMachine.SnapshotsInstalled > 0, "the late node was sent the leader's snapshot");
        Assert.Equal(cluster.Probes[leaderSlot].Hashes[index], cluster.Probes[2].Hashes[index]);
        cluster.AssertConsistent(index);
        // After the hand-back the state machine applies again (the commands committed above).
        Assert.Equal(10, leader.StateMachine.CommandsApplied);
    }

    [Fact]
    public async Task LeaderSharingItsState_CutOffMidFlow_HandsBackTheCommittedState_AndTheClusterGoesOnAlike()
    {
        await using var cluster = await TestCluster.StartAsync();
        var leader = await cluster.LeaderAsync();
        int leaderSlot = Slot(cluster, leader);
        // Small entries: most ring batches become several entries, so the cut may fall inside one.
        var lead = await leader.TakeOverAsync(maxEntryBytes: 3 * JournalBatch.RecordSize, shareState: true)
                   ?? throw new InvalidOperationException("The leader did not take over.");
        var acks = new AckRecorder();
        var opening = Workload.Opening();
        var pipeline = Start(lead, PipelineTopology.SingleThread, acks);
        foreach (var command in opening)
            await PublishAsync(pipeline, command);
        await Until(() => acks.Count == opening.Count, "the opening acknowledged");

        // Orders keep coming while both followers go.
        var random = new Random(32);
        var flow = Task.Run(async () =>
        {
            foreach (var command in Workload.Orders(random, 20_000))
            {
                if (pipeline.Fault is not null)
                    return;
                while (!pipeline.TryPublish(in command, 0, out _))
                {
                    if (pipeline.Fault is not null)
                        return;
                    await Task.Delay(1);
                }
            }
        });
        await Until(() => acks.Count > opening.Count + 200, "orders acknowledged");
        for (int i = 0; i < cluster.Count; i++)
            if (i != leaderSlot)
                await cluster.StopNodeAsync(i);
        await Until(() => pipeline.Fault is not null, "the pipeline stops on the lost leadership");
        await flow;
        Assert.IsType<LeadershipLostException>(pipeline.Fault);
        pipeline.Dispose();
        Assert.True(pipeline.HasStopped);
        leader.HandBack(lead);
        Assert.False(leader.StateMachine.SharesState);

        // What the deposed leader holds is the committed state at its applied index, which the followers reach too.
        long handedBack = leader.StateMachine.AppliedIndex;
        ulong hash = leader.StateMachine.Exchange.StateHash();
        Assert.True(acks.Count <= leader.StateMachine.LastSequence, "nothing acknowledged beyond the committed state");
        for (int i = 0; i < cluster.Count; i++)
            if (i != leaderSlot)
                await cluster.StartNodeAsync(i);
        var next = await cluster.LeaderAsync();
        await cluster.CommitAsync(next, Workload.Orders(new Random(33), 20));
        long index = next.StateMachine.AppliedIndex;
        await cluster.WaitAppliedAsync(index);
        foreach (var (probe, slot) in cluster.Probes.Select((p, s) => (p, s)))
            if (slot != leaderSlot)
                Assert.Equal(hash, probe.Hashes[handedBack]);
        cluster.AssertConsistent(index);
        InvariantChecker.Check(leader.StateMachine.Exchange);
    }

    private static int Slot(TestCluster cluster, ClusterNode node)
    {
        for (int i = 0; i < cluster.Count; i++)
            if (cluster[i] == node)
                return i;
        throw new InvalidOperationException("Not running.");
    }
}
