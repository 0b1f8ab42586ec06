using Exchange.Core.Journal;
using Exchange.Core.Pipeline;
using Exchange.Core.Tests.Pipeline;

namespace Exchange.Core.Tests.Journal;

/// <summary>
/// A snapshot is captured on the business-logic thread (raw copies) and serialized on a pool thread while commands keep
/// being applied (issue 16): each one written during a run that never waits for it must restore to exactly the state a
/// crash-free replay reaches at its sequence, not to something later.
/// </summary>
[Collection(PipelineThreadsCollection.Name)]
public sealed class SnapshotWhileFlowingTests
{
    [Theory]
    [InlineData(PipelineTopology.Parallel)]
    [InlineData(PipelineTopology.SingleThread)]
    public void SnapshotsTakenWhileCommandsFlow_EachRestoreToTheReplayedStateAtTheirSequence(PipelineTopology topology)
    {
        using var directory = new TempDirectory();
        var options = new PipelineOptions
        {
            Topology = topology,
            InputRingSize = 1024,
            OutputRingSize = 1024,
            Journal = new JournalOptions { Directory = Path.Combine(directory.Path, "journal"), Fsync = FsyncPolicy.Never },
            SnapshotDirectory = Path.Combine(directory.Path, "snapshots"),
            SnapshotEveryCommands = 200,
            SnapshotsToKeep = 1_000,
            SnapshotOnStop = false,
        };
        var commands = PipelineWorkload.Commands(6_100);
        var exchange = PipelineWorkload.Fresh();
        var output = new OutputRecorder();
        var pipeline = new ExchangePipeline(exchange, options, output);
        pipeline.Start();
        // All at once: the business logic goes on while each snapshot is serialized and written.
        PipelineWorkload.PublishAll(pipeline, commands);
        output.WaitFor(commands.Length);
        pipeline.Dispose();
        Assert.Null(pipeline.Fault);

        var files = SnapshotStore.List(options.SnapshotDirectory!);
        // How many are written depends on the timing (a due snapshot is skipped while the previous is being written);
        // without the snapshot on stop, and with the last command off the interval, every one was taken mid-run.
        Assert.NotEmpty(files);
        Assert.All(files, f => Assert.True(f.Sequence < commands.Length, $"snapshot {f.Sequence} taken after the run"));
        foreach (var file in files)
        {
            var restored = PipelineWorkload.Fresh();
            SnapshotCodec.Read(File.ReadAllBytes(file.Path), restored);
            var replayed = PipelineWorkload.ApplyDirectly(commands.AsSpan(0, (int)file.Sequence)).Exchange;
            Assert.Equal(file.Sequence, restored.LastSequence);
            Assert.Equal(replayed.StateHash(), restored.StateHash());
            // Byte for byte: the snapshot is the replayed state's canonical form.
            Assert.Equal(SnapshotCodec.Write(replayed), File.ReadAllBytes(file.Path));
            PipelineWorkload.AssertInvariants(restored);
        }
        PipelineWorkload.AssertInvariants(exchange);
    }
}
