using Exchange.Core.Commands;
using Exchange.Core.Pipeline;
using Exchange.Testing;

namespace Exchange.Cluster.Tests;

/// <summary>The leader's pipeline journals through Raft: it acknowledges what a majority holds, and nothing once deposed.</summary>
[Collection(nameof(ClusterCollection))]
public sealed class RaftJournalTests
{
    [Theory]
    [InlineData(PipelineTopology.SingleThread)]
    [InlineData(PipelineTopology.Parallel)]
    public async Task LeaderPipeline_JournalingThroughRaft_EveryNodeReachesTheLeadersState(PipelineTopology topology)
    {
        await using var cluster = await TestCluster.StartAsync();
        var leader = await cluster.LeaderAsync();
        var lead = await leader.TakeOverAsync() ?? throw new InvalidOperationException("The leader did not take over.");
        var acks = new AckRecorder();
        var random = new Random(19);
        var commands = Workload.Opening();
        commands.AddRange(Workload.Orders(random, 2000));
        using (var pipeline = Start(lead, topology, acks))
        {
            foreach (var command in commands)
                await PublishAsync(pipeline, command);
            await Until(() => acks.Count == commands.Count || pipeline.Fault is not null, "every command acknowledged");
            Assert.Null(pipeline.Fault);
        }

        Assert.Equal(Enumerable.Range(1, commands.Count).Select(i => (long)i), acks.Acknowledged);
        Assert.True(lead.Journal.Entries < commands.Count, $"{lead.Journal.Entries} entries for {commands.Count} commands: batches, not one entry per command");
        long index = leader.StateMachine.AppliedIndex;
        await cluster.WaitAppliedAsync(index);
        ulong leaderState = lead.Exchange.StateHash();
        foreach (var probe in cluster.Probes)
            Assert.Equal(leaderState, probe.Hashes[index]);
        cluster.AssertConsistent(index);
        InvariantChecker.Check(lead.Exchange);
    }

    [Fact]
    public async Task Leader_CutOffFromTheOthers_StopsAcknowledging()
    {
        await using var cluster = await TestCluster.StartAsync();
        var leader = await cluster.LeaderAsync();
        var lead = await leader.TakeOverAsync() ?? throw new InvalidOperationException("The leader did not take over.");
        var acks = new AckRecorder();
        var opening = Workload.Opening();
        using var pipeline = Start(lead, PipelineTopology.SingleThread, acks);
        foreach (var command in opening)
            await PublishAsync(pipeline, command);
        await Until(() => acks.Count == opening.Count, "the opening acknowledged");

        for (int i = 0; i < cluster.Count; i++)
            if (cluster[i] != leader)
                await cluster.StopNodeAsync(i);
        await PublishAsync(pipeline, Command.DepositTo(1, 5 * Workload.Usd));

        await Until(() => pipeline.Fault is not null, "the pipeline stops on the lost leadership");
        Assert.IsType<LeadershipLostException>(pipeline.Fault);
        Assert.False(leader.IsLeader);
        Assert.True(lead.Token.IsCancellationRequested);
        Assert.Equal(opening.Count, acks.Count);
    }

    [Fact]
    public async Task Acknowledgement_ComesOnlyOnceTheLeaderCommittedTheEntry_AndAFollowerHoldsIt()
    {
        // The journal's commit returns when the commit index passes its entry (not when the leader's applier has taken
        // it too): at every acknowledgement the leader's commit index is at or past the entry that ends the batch, and a
        // follower's log holds it. An acknowledgement at the leader's own append would find neither.
        await using var cluster = await TestCluster.StartAsync();
        var leader = await cluster.LeaderAsync();
        var lead = await leader.TakeOverAsync(shareState: true) ?? throw new InvalidOperationException("The leader did not take over.");
        var followers = Enumerable.Range(0, cluster.Count).Select(i => cluster[i]!).Where(n => n != leader).ToArray();
        var checks = new CommitChecks(leader, followers, lead.Journal);
        var commands = Workload.Opening();
        commands.AddRange(Workload.Orders(new Random(34), 2000));
        using (var pipeline = Start(lead, PipelineTopology.SingleThread, checks))
        {
            foreach (var command in commands)
                await PublishAsync(pipeline, command);
            await Until(() => checks.Count == commands.Count || pipeline.Fault is not null, "every command acknowledged");
            Assert.Null(pipeline.Fault);
        }

        leader.HandBack(lead);
        Assert.Null(checks.Violation);
        Assert.Equal(commands.Count, checks.Count);
        long index = lead.Journal.CommittedIndex;
        await cluster.WaitAppliedAsync(index);
        cluster.AssertConsistent(index);
        InvariantChecker.Check(leader.StateMachine.Exchange);
    }

    // At each acknowledgement (on the pipeline's thread, after the batch's commit returned): the entry the batch ends
    // with is committed on the leader and in at least one follower's log.
    private sealed class CommitChecks(ClusterNode leader, ClusterNode[] followers, RaftJournal journal) : IOutputHandler
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public string? Violation { get; private set; }

        public void OnEvents(long commandSequence, long correlation, ReadOnlySpan<Exchange.Core.Events.Event> events)
        {
            long entry = journal.CommittedIndex;
            long committed = leader.CommitIndex;
            long held = followers.Max(f => f.LastLogIndex);
            if (Violation is null && (entry <= 0 || committed < entry || held < entry))
                Violation = $"command {commandSequence} acknowledged with its entry at {entry}, the leader's commit index at {committed}, " +
                            $"the followers' logs through {held}";
            Interlocked.Increment(ref _count);
        }
    }

    internal static ExchangePipeline Start(Leadership lead, PipelineTopology topology, IOutputHandler acks)
    {
        var pipeline = new ExchangePipeline(lead.Exchange, new PipelineOptions
        {
            JournalInstance = lead.Journal,
            Topology = topology,
            WaitStrategy = WaitStrategyKind.Blocking,
            InputRingSize = 1024,
            OutputRingSize = 1024,
        }, acks);
        pipeline.Start();
        return pipeline;
    }

    internal static async Task PublishAsync(ExchangePipeline pipeline, Command command)
    {
        while (!pipeline.TryPublish(in command, 0, out _))
        {
            Assert.Null(pipeline.Fault);
            await Task.Delay(1);
        }
    }

    internal static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TestCluster.Timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("Timed out waiting for " + what);
            await Task.Delay(10);
        }
    }
}
