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
        var leader = await cluster.LeaderAsync();
        await cluster.CommitAsync(leader, Workload.Opening());
        await cluster.CommitAsync(leader, Workload.Orders(new Random(20), 30));
        await cluster.WaitAppliedAsync(leader.StateMachine.AppliedIndex);
        int follower = leader.Options.NodeId % cluster.Count;
        var options = cluster[follower]!.Options;
        await Until(() => cluster[follower]!.StateMachine.Snapshot is not null);
        await cluster.StopNodeAsync(follower);

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
        var leader = await cluster.LeaderAsync();
        await cluster.CommitAsync(leader, Workload.Opening());
        await cluster.CommitAsync(leader, Workload.Orders(new Random(21), 30));
        await cluster.WaitAppliedAsync(leader.StateMachine.AppliedIndex);
        int follower = leader.Options.NodeId % cluster.Count;
        var options = cluster[follower]!.Options;
        await cluster.StopNodeAsync(follower);

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

    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TestCluster.Timeout;
        while (!condition() && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.True(condition());
    }
}
