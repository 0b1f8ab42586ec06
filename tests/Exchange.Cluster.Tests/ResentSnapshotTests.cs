using Exchange.Core.Commands;
using Exchange.Core.Events;

namespace Exchange.Cluster.Tests;

/// <summary>
/// A follower installs the leader's snapshot but the leader does not hear it in time (its request timed out): the
/// library's leader sends the same snapshot again, the follower rejects it (not newer than its commit index) and the
/// leader lowers the follower's next index on the rejection, so it keeps sending that snapshot and the follower gets
/// no entry after it (the deposition test's follower that stayed one entry behind). A snapshot sent again makes the
/// leader's next snapshot due at once; the newer one is accepted and the follower goes on.
/// </summary>
[Collection(nameof(ClusterCollection))]
public sealed class ResentSnapshotTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Follower_WhoseSnapshotInstallTheLeaderDidNotHear_CatchesUpWithoutWaitingForTheNextRegularSnapshot(bool trickle)
    {
        // Snapshots every 300 commands: the trickle below (at most 50 commands) does not reach the next regular one.
        // Requests time out after 1 s; a follower stands for election after 3-6 s without a word from the leader, longer than the slow install.
        await using var cluster = await TestCluster.StartAsync(snapshotEveryCommands: 300, electionTimeoutMs: 3000, requestTimeoutMs: 1000);
        var leader = await cluster.LeaderAsync();
        var random = new Random(19);
        await cluster.CommitAsync(leader, Workload.Opening());
        int follower = FollowerOf(cluster, leader);
        await cluster.WaitAppliedAsync(leader.StateMachine.AppliedIndex);
        await cluster.StopNodeAsync(follower);

        var deadline = DateTime.UtcNow + TestCluster.Timeout;
        while (leader.StateMachine.Snapshot is null && DateTime.UtcNow < deadline)
        {
            await cluster.CommitAsync(leader, Workload.Orders(random, 25));
            await Task.Delay(10);
        }

        var snapshot = Assert.IsAssignableFrom<DotNext.Net.Cluster.Consensus.Raft.StateMachine.ISnapshot>(leader.StateMachine.Snapshot);
        await cluster.CommitAsync(leader, Workload.Orders(random, 2));
        Assert.True(leader.StateMachine.AppliedIndex > snapshot.Index, "the leader's log goes past its snapshot");

        // The follower's first install takes longer than the leader waits for an answer.
        var slow = new SlowFirstInstall(TimeSpan.FromMilliseconds(2000));
        await cluster.StartNodeAsync(follower, output: slow);

        // A trickle of commands, as a venue has (or none); no regular snapshot falls due meanwhile.
        var node = cluster[follower]!;
        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        int trickled = 0;
        bool leaderChanged = false;
        var first = leader;
        while (DateTime.UtcNow < deadline && (node.AppliedIndex < leader.AppliedIndex || slow.Installs == 0))
        {
            try
            {
                // Without the trickle the leader is idle: nothing but its own empty entry brings the newer snapshot.
                if (trickle)
                {
                    await cluster.CommitAsync(leader, Workload.Orders(random, 1));
                    trickled++;
                }
            }
            catch (DotNext.Net.Cluster.Consensus.Raft.NotLeaderException)
            {
                // A loaded machine deposed the leader: a new leadership starts every follower afresh, which is not
                // what this test is about, but the follower must still catch up.
                leaderChanged = true;
                leader = await cluster.LeaderAsync();
            }

            await Task.Delay(200);
        }

        Assert.True(slow.Installs > 0, "the follower was brought back by a snapshot");
        Assert.True(trickled < 60, $"{trickled} commands trickled: a regular snapshot may have fallen due");
        long index = leader.AppliedIndex;
        await cluster.WaitAppliedAsync(index);
        if (!leaderChanged)
            Assert.True(first.StateMachine.SnapshotsResent > 0, "the leader did not send its snapshot again: the slow install did not outlast the request");
        cluster.AssertConsistent(index);
    }

    private static int FollowerOf(TestCluster cluster, ClusterNode leader)
    {
        for (int i = 0; i < cluster.Count; i++)
            if (cluster[i] is { } node && node != leader)
                return i;
        throw new InvalidOperationException("No follower.");
    }

    // Delays the first snapshot install (after the state is loaded, before the file is written): a slow disk or a
    // loaded machine, once.
    private sealed class SlowFirstInstall(TimeSpan delay) : ICommittedOutput
    {
        private int _installs;

        public int Installs => Volatile.Read(ref _installs);

        public void OnStart(long sequence, ReadOnlySpan<byte> extra)
        {
        }

        public void OnCommand(in Command command, ReadOnlySpan<Event> events)
        {
        }

        public void OnEntryApplied()
        {
        }

        public void OnBarrier(ulong proposal)
        {
        }

        public void OnInstalled(long sequence, ReadOnlySpan<byte> extra)
        {
            if (Interlocked.Increment(ref _installs) == 1)
                Thread.Sleep(delay);
        }

        public byte[] Capture() => [];

        public bool WaitDurable(long sequence) => true;

        public ulong SessionProposal => 0;
    }
}
