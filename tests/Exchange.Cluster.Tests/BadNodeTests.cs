using Exchange.Core.Instruments;

namespace Exchange.Cluster.Tests;

/// <summary>A node whose configuration or log does not fit refuses to start, saying why.</summary>
[Collection(nameof(ClusterCollection))]
public sealed class BadNodeTests
{
    [Fact]
    public async Task Node_WithOtherInstrumentsThanItsSnapshot_RefusesToStartNamingTheConfiguration()
    {
        await using var cluster = await TestCluster.StartAsync(snapshotEveryCommands: 20);
        var (leader, follower, options) = await FollowerStoppedAsync(cluster, seed: 20, afterASnapshot: true);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ClusterNode.StartAsync(options, () =>
        {
            var other = Workload.Fresh();
            other.AddInstrument(new InstrumentSpec
            {
                Name = "ETH-PERP", TickValue = 50, ImrPpm = 100_000, MmrPpm = 50_000, MakerFeePpm = -100, TakerFeePpm = 500,
                LiquidationFeePpm = 10_000, BandPpm = 100_000, LiquidationBandPpm = 75_000,
                MaxPrice = 10_000_000, MaxOrderLots = 1_000_000, MaxPositionLots = 10_000_000,
            });
            return other;
        }));
        Assert.Contains("configuration", error.Message);
        Assert.Contains(".snapshot", error.Message);
    }

    [Fact]
    public async Task Node_WithADamagedLogEntry_RefusesToStartNamingTheLog()
    {
        await using var cluster = await TestCluster.StartAsync();
        var (leader, follower, options) = await FollowerStoppedAsync(cluster, seed: 21, afterASnapshot: false);

        // The records are the only non-zero bytes of the data chunk: flip one in the middle of them.
        var chunk = Directory.EnumerateFiles(Path.Combine(options.DataDirectory, "wal"), "*", SearchOption.AllDirectories)
            .Select(path => (Path: path, Bytes: File.ReadAllBytes(path)))
            .OrderByDescending(f => f.Bytes.Count(b => b != 0))
            .First();
        int used = Array.FindLastIndex(chunk.Bytes, b => b != 0);
        chunk.Bytes[used / 2] ^= 0xFF;
        File.WriteAllBytes(chunk.Path, chunk.Bytes);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ClusterNode.StartAsync(options, Workload.Fresh));
        Assert.Contains("write-ahead log", error.Message);
    }

    [Theory]
    [InlineData("instruments")]
    [InlineData("members")]
    public async Task Node_JoiningWithAnotherConfigurationThanTheLeader_StopsAtTheBarrierNamingTheConfiguration(string differs)
    {
        await using var cluster = await TestCluster.StartAsync(running: 2);
        var leader = await cluster.LeaderAsync();
        // The sequencer's take-over writes the barrier with the leader's configuration fingerprint.
        Assert.NotNull(await leader.TakeOverAsync());
        await cluster.CommitAsync(leader, Workload.Opening());

        // Node 3 was never started: no snapshot, no log. Its configuration differs in one thing.
        var options = cluster.Options(2);
        if (differs == "members")
            options = options with { Members = [.. options.Members, new ClusterMember(4, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 1))] };
        await cluster.StartNodeAsync(2, differs == "instruments" ? WithEth : null, options);
        await Until(() => cluster[2]!.Fault is not null);
        var fault = cluster[2]!.Fault!;
        Assert.IsType<InvalidDataException>(fault);
        Assert.Contains("another configuration", fault.Message);
        Assert.Contains("Every node of a cluster must run the same configuration", fault.Message);
        // It applied no command under its own configuration: it stopped at the barrier, before the first batch.
        Assert.Equal(0, cluster.Probes[2].Exchange?.LastSequence ?? 0);

        // The two others still make a majority and go on.
        await cluster.CommitAsync(leader, Workload.Orders(new Random(22), 20));
        long index = leader.StateMachine.AppliedIndex;
        await cluster.WaitAppliedAsync(index);
        cluster.AssertConsistent(index);
    }

    [Fact]
    public async Task Node_WithADamagedSnapshot_RefusesToStartNamingTheSnapshot()
    {
        await using var cluster = await TestCluster.StartAsync(snapshotEveryCommands: 20);
        var (leader, follower, options) = await FollowerStoppedAsync(cluster, seed: 23, afterASnapshot: true);

        var newest = Directory.GetFiles(Path.Combine(options.DataDirectory, "snapshots"), "*.snapshot").Max()!;
        var bytes = File.ReadAllBytes(newest);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(newest, bytes);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ClusterNode.StartAsync(options, Workload.Fresh));
        Assert.Contains(Path.GetFileName(newest), error.Message);
        Assert.Contains("damaged", error.Message);
    }

    private static Exchange.Core.Exchange WithEth()
    {
        var other = Workload.Fresh();
        other.AddInstrument(new InstrumentSpec
        {
            Name = "ETH-PERP", TickValue = 50, ImrPpm = 100_000, MmrPpm = 50_000, MakerFeePpm = -100, TakerFeePpm = 500,
            LiquidationFeePpm = 10_000, BandPpm = 100_000, LiquidationBandPpm = 75_000,
            MaxPrice = 10_000_000, MaxOrderLots = 1_000_000, MaxPositionLots = 10_000_000,
        });
        return other;
    }

    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TestCluster.Timeout;
        while (!condition() && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.True(condition());
    }

    /// <summary>Commits the opening and 30 orders, then stops a follower (once it holds a snapshot, if asked).</summary>
    private static async Task<(ClusterNode Leader, int Follower, ClusterOptions Options)> FollowerStoppedAsync(
        TestCluster cluster, int seed, bool afterASnapshot)
    {
        var leader = await cluster.LeaderAsync();
        await cluster.CommitAsync(leader, Workload.Opening());
        await cluster.CommitAsync(leader, Workload.Orders(new Random(seed), 30));
        await cluster.WaitAppliedAsync(leader.StateMachine.AppliedIndex);
        int follower = leader.Options.NodeId % cluster.Count;
        var options = cluster[follower]!.Options;
        if (afterASnapshot) await Until(() => cluster[follower]!.StateMachine.Snapshot is not null);
        await cluster.StopNodeAsync(follower);
        return (leader, follower, options);
    }
}
