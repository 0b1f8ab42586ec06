using Exchange.Core.Journal;
using Exchange.Core.Pipeline;

namespace Exchange.CrashHost;

/// <summary>The pipeline configuration of the crash host, shared with the tests that recover its directory.</summary>
public static class CrashHostOptions
{
    /// <summary>Journal in <c>dir/journal</c> (fsync every batch, small files so runs rotate), snapshots every 500
    /// commands in <c>dir/snapshots</c>, blocking waits (the host shares a small, loaded machine with the tests).</summary>
    public static PipelineOptions For(string directory, PipelineTopology topology = PipelineTopology.Parallel) => new()
    {
        Topology = topology,
        InputRingSize = 1024,
        OutputRingSize = 1024,
        WaitStrategy = WaitStrategyKind.Blocking,
        Journal = new JournalOptions
        {
            Directory = Path.Combine(directory, "journal"),
            Fsync = FsyncPolicy.EveryBatch,
            MaxFileBytes = 88 * 2_000,
        },
        SnapshotDirectory = Path.Combine(directory, "snapshots"),
        SnapshotEveryCommands = 500,
    };
}
