using Exchange.Core.Commands;
using Exchange.Core.Journal;
using Exchange.Core.Pipeline;
using Exchange.Core.Tests.Pipeline;

namespace Exchange.Core.Tests.Journal;

[Collection(PipelineThreadsCollection.Name)]
public sealed class RecoveryTests
{
    private static PipelineOptions Options(string directory, long snapshotEvery = 300, PipelineTopology topology = PipelineTopology.Parallel) => new()
    {
        Topology = topology,
        InputRingSize = 256,
        OutputRingSize = 64,
        Journal = new JournalOptions
        {
            Directory = Path.Combine(directory, "journal"),
            Fsync = FsyncPolicy.Never,
            MaxFileBytes = JournalFixture.RecordSize * 250,
        },
        SnapshotDirectory = snapshotEvery > 0 ? Path.Combine(directory, "snapshots") : null,
        SnapshotEveryCommands = snapshotEvery,
        // These tests recover from a snapshot and the journal's tail: the stop must leave a tail.
        SnapshotOnStop = false,
    };

    /// <summary>Runs <paramref name="commands"/> through a journaled pipeline on <paramref name="exchange"/>; returns the state hash after.</summary>
    private static ulong Run(Exchange exchange, PipelineOptions options, ReadOnlySpan<Command> commands, long firstSequence = 1)
    {
        var output = new OutputRecorder();
        var pipeline = new ExchangePipeline(exchange, options, output);
        pipeline.Start();
        // One command at a time, so every due snapshot is written rather than skipped behind a pending one.
        for (int i = 0; i < commands.Length; i++)
        {
            PipelineWorkload.PublishAll(pipeline, commands.Slice(i, 1), firstSequence + i);
            if (options.SnapshotEveryCommands > 0 && (firstSequence + i) % options.SnapshotEveryCommands == 0)
            {
                long due = firstSequence + i;
                Eventually.True(() => pipeline.LastSnapshotSequence == due, $"snapshot {due}");
            }
        }

        output.WaitFor(commands.Length);
        pipeline.Dispose();
        Assert.Null(pipeline.Fault);
        return exchange.StateHash();
    }

    [Theory]
    [InlineData(PipelineTopology.Parallel)]
    [InlineData(PipelineTopology.SingleThread)]
    public void Recover_FromTheNewestSnapshotAndTheJournalTail_EqualsTheStateBeforeTheStop_AndNumberingContinues(PipelineTopology topology)
    {
        using var directory = new TempDirectory();
        var options = Options(directory.Path, topology: topology);
        var commands = PipelineWorkload.Commands(1_500);
        ulong before = Run(PipelineWorkload.Fresh(), options, commands.AsSpan(0, 1_000));

        var recovered = Recovery.Recover(options, PipelineWorkload.Fresh);

        Assert.Equal(900, recovered.Snapshot?.Sequence);
        Assert.Equal(100, recovered.ReplayedCommands);
        Assert.Equal(1_000, recovered.LastSequence);
        Assert.Empty(recovered.SkippedSnapshots);
        Assert.Null(recovered.TornTail);
        Assert.Equal(before, recovered.Exchange.StateHash());

        // The next run numbers on from 1,001 and ends where a direct replay of all 1,500 commands ends.
        ulong after = Run(recovered.Exchange, options, commands.AsSpan(1_000), firstSequence: 1_001);
        Assert.Equal(PipelineWorkload.ApplyDirectly(commands).Exchange.StateHash(), after);
        PipelineWorkload.AssertInvariants(recovered.Exchange);
    }

    [Fact]
    public void Run_WithSnapshots_RemovesTheJournalFilesCoveredByTheOldestSnapshotKept_AndRecoveryStillEqualsTheState()
    {
        using var directory = new TempDirectory();
        var options = Options(directory.Path);
        ulong before = Run(PipelineWorkload.Fresh(), options, PipelineWorkload.Commands(1_500));

        // Snapshots 1,200 and 1,500 are kept; files of 250 records: those ending at or before 1,200 are not needed.
        var files = Directory.GetFiles(options.Journal!.Directory, "journal-*.log").Select(Path.GetFileName).Order();
        Assert.Equal(["journal-000000001001.log", "journal-000000001251.log"], files);
        var recovered = Recovery.Recover(options, PipelineWorkload.Fresh);
        Assert.Equal(1_500, recovered.Snapshot?.Sequence);
        Assert.Equal(before, recovered.Exchange.StateHash());

        // Without the newest snapshot the oldest kept one still finds its whole tail.
        File.Delete(SnapshotStore.PathFor(options.SnapshotDirectory!, 1_500));
        recovered = Recovery.Recover(options, PipelineWorkload.Fresh);
        Assert.Equal((1_200L, 300L), (recovered.Snapshot?.Sequence, recovered.ReplayedCommands));
        Assert.Equal(before, recovered.Exchange.StateHash());
    }

    [Fact]
    public void Recover_JournalFilesMissingBehindAMissingSnapshot_RefusesInsteadOfSkippingCommands()
    {
        using var directory = new TempDirectory();
        var options = Options(directory.Path);
        Run(PipelineWorkload.Fresh(), options, PipelineWorkload.Commands(1_500));
        foreach (var snapshot in SnapshotStore.List(options.SnapshotDirectory!))
            File.Delete(snapshot.Path);

        var error = Assert.Throws<InvalidDataException>(() => Recovery.Recover(options, PipelineWorkload.Fresh));
        Assert.Contains("removed through sequence 1000", error.Message);
    }

    [Fact]
    public void Dispose_SnapshotOnStop_WritesTheFinalState_SoTheNextStartReplaysNothing()
    {
        using var directory = new TempDirectory();
        var options = Options(directory.Path) with { SnapshotOnStop = true };
        ulong before = Run(PipelineWorkload.Fresh(), options, PipelineWorkload.Commands(1_000));

        var recovered = Recovery.Recover(options, PipelineWorkload.Fresh);

        Assert.Equal((1_000L, 0L), (recovered.Snapshot?.Sequence, recovered.ReplayedCommands));
        Assert.Equal(before, recovered.Exchange.StateHash());
        PipelineWorkload.AssertInvariants(recovered.Exchange);
    }

    [Fact]
    public void Recover_SkipsADamagedNewestSnapshot_AndFallsBackToTheOlderOne()
    {
        using var directory = new TempDirectory();
        var options = Options(directory.Path);
        ulong before = Run(PipelineWorkload.Fresh(), options, PipelineWorkload.Commands(1_000));
        string newest = SnapshotStore.PathFor(options.SnapshotDirectory!, 900);
        JournalFixture.FlipByte(newest, new FileInfo(newest).Length / 2);

        var recovered = Recovery.Recover(options, PipelineWorkload.Fresh);

        Assert.Equal(600, recovered.Snapshot?.Sequence);
        Assert.Equal(400, recovered.ReplayedCommands);
        Assert.Contains(newest, Assert.Single(recovered.SkippedSnapshots));
        Assert.Equal(before, recovered.Exchange.StateHash());
    }

    [Fact]
    public void Recover_WithEverySnapshotDamaged_ReplaysTheWholeJournal()
    {
        using var directory = new TempDirectory();
        // One journal file, which retention never removes (it is the last): the whole journal is still there.
        var options = Options(directory.Path);
        options = options with { Journal = options.Journal! with { MaxFileBytes = JournalFixture.RecordSize * 10_000 } };
        ulong before = Run(PipelineWorkload.Fresh(), options, PipelineWorkload.Commands(1_000));
        foreach (var file in SnapshotStore.List(options.SnapshotDirectory!))
            JournalFixture.Truncate(file.Path, 10);

        var recovered = Recovery.Recover(options, PipelineWorkload.Fresh);

        Assert.Null(recovered.Snapshot);
        Assert.Equal(2, recovered.SkippedSnapshots.Count);
        Assert.Equal(1_000, recovered.ReplayedCommands);
        Assert.Equal(before, recovered.Exchange.StateHash());
    }

    [Fact]
    public void Recover_ACorruptRecordInTheMiddle_FailsWithTheFileAndOffset()
    {
        using var directory = new TempDirectory();
        var options = Options(directory.Path, snapshotEvery: 0);
        Run(PipelineWorkload.Fresh(), options, PipelineWorkload.Commands(600));
        string file = JournalFixture.FileFor(options.Journal!.Directory, 251);
        JournalFixture.FlipByte(file, 100 * JournalFixture.RecordSize + 40);

        var error = Assert.Throws<JournalCorruptException>(() => Recovery.Recover(options, PipelineWorkload.Fresh));

        Assert.Equal(file, error.FilePath);
        Assert.Equal(100 * JournalFixture.RecordSize, error.Offset);
        Assert.Contains("CRC mismatch", error.Message);
    }

    [Fact]
    public void Recover_ATruncatedLastRecord_IsCutAndNeverApplied_AndTheJournalContinuesCleanly()
    {
        using var directory = new TempDirectory();
        var options = Options(directory.Path, snapshotEvery: 0);
        var commands = PipelineWorkload.Commands(700);
        Run(PipelineWorkload.Fresh(), options, commands.AsSpan(0, 600));
        string last = JournalFixture.FileFor(options.Journal!.Directory, 501);
        JournalFixture.Truncate(last, new FileInfo(last).Length - 30);

        var recovered = Recovery.Recover(options, PipelineWorkload.Fresh);

        Assert.Equal(599, recovered.LastSequence);
        Assert.Equal(new JournalTornTail(last, 99 * JournalFixture.RecordSize, JournalFixture.RecordSize - 30), recovered.TornTail);
        Assert.Equal(PipelineWorkload.ApplyDirectly(commands.AsSpan(0, 599)).Exchange.StateHash(), recovered.Exchange.StateHash());

        // The pipeline's journal writer cuts the torn record; command 600 is entered again and the journal reads clean.
        var rest = commands.AsSpan(599).ToArray();
        ulong after = Run(recovered.Exchange, options, rest, firstSequence: 600);
        var again = Recovery.Recover(options, PipelineWorkload.Fresh);
        Assert.Null(again.TornTail);
        Assert.Equal(700, again.LastSequence);
        Assert.Equal(after, again.Exchange.StateHash());
        Assert.Equal(PipelineWorkload.ApplyDirectly(commands).Exchange.StateHash(), after);
    }

    [Fact]
    public void Recover_WithNothingOnDisk_GivesAFreshExchange()
    {
        using var directory = new TempDirectory();

        var recovered = Recovery.Recover(Options(directory.Path), PipelineWorkload.Fresh);

        Assert.Equal(0, recovered.LastSequence);
        Assert.Null(recovered.Snapshot);
        Assert.Equal(0, recovered.ReplayedCommands);
        Assert.Equal(PipelineWorkload.Fresh().StateHash(), recovered.Exchange.StateHash());
    }

    [Fact]
    public void Recover_AnIntactSnapshotOfAnotherConfiguration_IsAConfigurationError()
    {
        using var directory = new TempDirectory();
        var options = Options(directory.Path);
        Run(PipelineWorkload.Fresh(), options, PipelineWorkload.Commands(300));
        static Exchange OneInstrument()
        {
            var exchange = new Exchange();
            exchange.AddInstrument(Support.Market.Spec());
            return exchange;
        }

        var error = Assert.Throws<InvalidDataException>(() => Recovery.Recover(options, OneInstrument));
        Assert.Contains("instrument", error.Message);
    }
}
