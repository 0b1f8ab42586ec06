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

    internal static ExchangePipeline Start(Leadership lead, PipelineTopology topology, AckRecorder acks)
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
