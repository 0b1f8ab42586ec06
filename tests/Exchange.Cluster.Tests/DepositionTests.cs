using Exchange.Core.Commands;
using Exchange.Core.Journal;
using Exchange.Core.Pipeline;
using static Exchange.Cluster.Tests.RaftJournalTests;

namespace Exchange.Cluster.Tests;

/// <summary>
/// Leaders that share their state (docs/cluster.md, "Applying once on the leader") deposed by election timeouts while
/// their pipelines commit, as on a loaded machine: not stopped and not cut off, so each deposed leader stays in the
/// cluster, hands its state back, follows the next leader and may lead again.
/// </summary>
[Collection(nameof(ClusterCollection))]
public sealed class DepositionTests
{
    // Failed about one run in ten under load until two faults were fixed: a deposed leader's batch labelled with the next
    // term (a node stopped on a batch whose sequences did not follow its state), and a follower stalled behind a snapshot
    // the leader resent (it stayed one entry behind for good; ResentSnapshotTests). At load 28-34 three runs of 26 found
    // no leader every node agreed on within 30 s while the pool was starved: liveness under this test's 100-200 ms
    // timeouts and a starved pool, which Raft does not promise. Such a leaderless stretch ends the starved phase; once
    // the pool is free again a leader must be agreed on, and every safety check below holds as before.
    [Fact]
    public async Task LeadersSharingTheirState_DeposedByElectionTimeoutsUnderLoad_EveryNodeReachesTheSameIndexAndState()
    {
        // Election timeouts of 100-200 ms (heartbeats every 50 ms) and a thread pool starved for 300 ms every 700 ms:
        // every node's Raft traffic waits for a pool thread, heartbeats come late, followers stand for election and
        // leaders are deposed in the middle of their commits. Snapshots every 400 commands, entries of 3 commands.
        await using var cluster = await TestCluster.StartAsync(snapshotEveryCommands: 400, electionTimeoutMs: 100);
        var commands = new Queue<Command>(Workload.Opening());
        foreach (var command in Workload.Orders(new Random(35), 200_000))
            commands.Enqueue(command);
        int terms = 0, deposed = 0;
        bool leaderless = false;
        using (var starving = new CancellationTokenSource())
        {
            var starver = Task.Run(() => StarvePoolAsync(starving.Token));
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            try
            {
                while (deposed < 4 && DateTime.UtcNow < deadline)
                {
                    bool? outcome;
                    try
                    {
                        outcome = await RunTermAsync(cluster, commands, DateTime.UtcNow + TimeSpan.FromSeconds(10));
                    }
                    catch (TimeoutException) when (deposed > 0)
                    {
                        // No agreed leader for the cluster's whole timeout while starved (see above): end the starved phase.
                        leaderless = true;
                        break;
                    }

                    if (outcome is not { } wasDeposed)
                        continue;
                    terms++;
                    if (wasDeposed)
                        deposed++;
                }
            }
            finally
            {
                starving.Cancel();
                await starver;
            }
        }

        Assert.True(deposed >= 2 || leaderless,
            $"{deposed} leaders deposed in {terms} terms: the load did not depose leaders");

        // Quiet again: a term that ends without a deposition, then every node applies through the last entry alike.
        while (await RunTermAsync(cluster, commands, DateTime.UtcNow + TimeSpan.FromSeconds(2)) is not false)
        {
        }

        // The highest commit index, once every node has applied through it and no node's commit index moved past it
        // meanwhile: an entry the library commits after the read (a new term's empty entry) moved the nodes' applied
        // index one or two past an index read once (CI: 8373 against 8371).
        long index = 0;
        for (int attempt = 0; ; attempt++)
        {
            long highest = 0;
            for (int i = 0; i < cluster.Count; i++)
                highest = Math.Max(highest, cluster[i]!.CommitIndex);
            await cluster.WaitAppliedAsync(highest);
            bool settled = highest == index;
            for (int i = 0; i < cluster.Count; i++)
                settled &= cluster[i]!.CommitIndex == index && cluster[i]!.AppliedIndex == index;
            if (settled || attempt == 20)
                break;
            index = highest;
            await Task.Delay(100);
        }
        for (int i = 0; i < cluster.Count; i++)
        {
            Assert.True(cluster[i]!.Fault is null, $"node {i + 1} stopped applying: {cluster[i]!.Fault?.Message}");
            Assert.Equal(index, cluster[i]!.AppliedIndex);
            Assert.False(cluster[i]!.StateMachine.SharesState);
        }

        cluster.AssertConsistent(index);
    }

    // One term as ClusterHost runs it: take over sharing the state, run a single-thread pipeline until the node is
    // deposed (true) or the time is up (false), hand back. Null: the take-over found the node no longer leading.
    private static async Task<bool?> RunTermAsync(TestCluster cluster, Queue<Command> commands, DateTime until)
    {
        var leader = await cluster.LeaderAsync();
        var lead = await leader.TakeOverAsync(maxEntryBytes: 3 * JournalBatch.RecordSize, shareState: true);
        if (lead is null)
            return null;
        var acks = new AckRecorder();
        var pipeline = Start(lead, PipelineTopology.SingleThread, acks);
        try
        {
            while (pipeline.Fault is null && DateTime.UtcNow < until)
            {
                var command = commands.Peek();
                if (pipeline.TryPublish(in command, 0, out _))
                    commands.Dequeue();
                else
                    await Task.Delay(1);
            }
        }
        finally
        {
            pipeline.Dispose();
        }

        Assert.True(pipeline.HasStopped);
        bool deposed = pipeline.Fault is not null;
        if (deposed)
            Assert.IsType<LeadershipLostException>(pipeline.Fault);
        leader.HandBack(lead);
        Assert.False(leader.StateMachine.SharesState);
        foreach (long sequence in acks.Acknowledged)
            Assert.True(sequence <= leader.StateMachine.LastSequence, $"command {sequence} acknowledged beyond the committed state");
        return deposed;
    }

    // Blocks every pool thread for 300 ms, every 700 ms (sleeping: the CPUs stay free).
    private static async Task StarvePoolAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            int threads = ThreadPool.ThreadCount + 2;
            for (int i = 0; i < threads; i++)
                ThreadPool.UnsafeQueueUserWorkItem(static _ => Thread.Sleep(300), null);
            try
            {
                await Task.Delay(700, token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
