using Exchange.Core.Commands;
using Exchange.Core.Journal;
using Exchange.Core.Tests.Pipeline;
using Exchange.Core.Tests.Support;
using static Exchange.Core.Tests.Journal.JournalFixture;

namespace Exchange.Core.Tests.Journal;

public sealed class JournalWriterTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private string Dir => _directory.Path;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Append_ManyCommandsInBatches_ReadBackWithEveryField()
    {
        const int Count = 10_000;
        var random = new Random(7);
        var written = new Command[Count];
        using (var writer = new JournalWriter(Options(Dir)))
        {
            for (int i = 0; i < Count; i++)
            {
                written[i] = TestCommands.Random(random, i + 1);
                writer.Append(written[i]);
                if (i % 64 == 63)
                    writer.Commit();
            }

            writer.Commit();
        }

        using var reader = new JournalReader(Dir);
        for (int i = 0; i < Count; i++)
        {
            Assert.Equal(JournalReadStatus.Record, reader.Read(out var command));
            TestCommands.AssertEqual(written[i], command);
        }

        Assert.Equal(JournalReadStatus.End, reader.Read(out _));
        Assert.Equal(Count, reader.LastSequence);
    }

    [Fact]
    public void Append_PastMaxFileBytes_RotatesIntoFilesNamedByFirstSequence()
    {
        Write(Dir, first: 1, count: 35, recordsPerFile: 10);

        var names = Directory.GetFiles(Dir, "journal-*.log").Select(path => Path.GetFileName(path)).Order().ToList();
        Assert.Equal<string>(["journal-000000000001.log", "journal-000000000011.log", "journal-000000000021.log", "journal-000000000031.log"], names);
        Assert.Equal(10 * RecordSize, new FileInfo(FileFor(Dir, 1)).Length);
        Assert.Equal(5 * RecordSize, new FileInfo(FileFor(Dir, 31)).Length);
        var (sequences, ending) = ReadAll(Dir);
        Assert.Equal(Range(1, 35), sequences);
        Assert.Equal(JournalReadStatus.End, ending);
    }

    [Fact]
    public void Append_BatchLargerThanBuffer_WritesItAllInOneCommit()
    {
        var options = Options(Dir) with { BufferBytes = 2 * RecordSize + 10 };
        using (var writer = new JournalWriter(options))
        {
            for (long sequence = 0; sequence < 25; sequence++)
                writer.Append(TestCommands.At(sequence));
            writer.Commit();
            Assert.Equal(24, writer.FlushedSequence);
        }

        Assert.Equal(Range(0, 25), ReadAll(Dir).Sequences);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(4)]
    public void Append_SequenceNotAboveLast_Throws(long sequence)
    {
        using var writer = new JournalWriter(Options(Dir));
        writer.Append(TestCommands.At(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Append(TestCommands.At(sequence)));
        Assert.Equal(5, writer.LastSequence);
    }

    [Fact]
    public void Append_NegativeSequenceToEmptyJournal_Throws()
    {
        using var writer = new JournalWriter(Options(Dir));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Append(TestCommands.At(-1)));
    }

    [Fact]
    public void Open_ExistingJournal_ContinuesAfterLastSequence()
    {
        Write(Dir, first: 0, count: 100, recordsPerFile: 30);

        using (var writer = new JournalWriter(Options(Dir, recordsPerFile: 30)))
        {
            Assert.Equal(99, writer.LastSequence);
            Append(writer, first: 100, count: 50);
        }

        var (sequences, ending) = ReadAll(Dir);
        Assert.Equal(Range(0, 150), sequences);
        Assert.Equal(JournalReadStatus.End, ending);
        Assert.Equal(5, Directory.GetFiles(Dir, "journal-*.log").Length);
    }

    [Fact]
    public void Open_TornTail_CutsItAndAppendingContinues()
    {
        Write(Dir, first: 0, count: 50);
        string file = FileFor(Dir, 0);
        // A crash 30 bytes into writing record 50.
        var record = RecordBytes(50);
        AppendBytes(file, record.AsSpan(0, 30));

        using (var writer = new JournalWriter(Options(Dir)))
        {
            Assert.Equal(49, writer.LastSequence);
            Assert.Equal(50 * RecordSize, new FileInfo(file).Length);
            Append(writer, first: 50, count: 10);
        }

        var (sequences, ending) = ReadAll(Dir);
        Assert.Equal(Range(0, 60), sequences);
        Assert.Equal(JournalReadStatus.End, ending);
    }

    [Fact]
    public void Open_TailOfZeros_CutsItAndAppendingContinues()
    {
        Write(Dir, first: 0, count: 20);
        // Space the file system allocated but the crash left unwritten.
        AppendBytes(FileFor(Dir, 0), new byte[3 * RecordSize + 5]);

        using (var writer = new JournalWriter(Options(Dir)))
        {
            Assert.Equal(19, writer.LastSequence);
            Append(writer, first: 20, count: 5);
        }

        Assert.Equal(Range(0, 25), ReadAll(Dir).Sequences);
    }

    [Fact]
    public void Open_LastFileHoldsOnlyATornRecord_RemovesItAndContinuesThePreviousFile()
    {
        Write(Dir, first: 0, count: 10, recordsPerFile: 10);
        // A crash right after rotation, partway through the new file's first record.
        File.WriteAllBytes(FileFor(Dir, 10), RecordBytes(10).AsSpan(0, 20).ToArray());

        using (var writer = new JournalWriter(Options(Dir, recordsPerFile: 10)))
        {
            Assert.Equal(9, writer.LastSequence);
            Assert.False(File.Exists(FileFor(Dir, 10)));
            Append(writer, first: 10, count: 15);
        }

        Assert.True(File.Exists(FileFor(Dir, 10)));
        Assert.Equal(Range(0, 25), ReadAll(Dir).Sequences);
    }

    [Fact]
    public void Open_CorruptRecordBeforeTheTail_ThrowsCorrupt()
    {
        Write(Dir, first: 0, count: 20);
        FlipByte(FileFor(Dir, 0), 5 * RecordSize + 40);

        var error = Assert.Throws<JournalCorruptException>(() => new JournalWriter(Options(Dir)));
        Assert.Equal(5 * RecordSize, error.Offset);
    }

    [Fact]
    public void Commit_EveryBatch_SyncsEachBatch()
    {
        using var writer = new JournalWriter(Options(Dir) with { Fsync = FsyncPolicy.EveryBatch });
        writer.Append(TestCommands.At(1));
        writer.Append(TestCommands.At(2));
        Assert.Equal(-1, writer.FlushedSequence);
        writer.Commit();
        Assert.Equal(2, writer.FlushedSequence);
        Assert.Equal(2, writer.SyncedSequence);
    }

    [Fact]
    public void Commit_NeverPolicy_WritesWithoutSyncUntilSyncIsCalled()
    {
        using var writer = new JournalWriter(Options(Dir) with { Fsync = FsyncPolicy.Never });
        writer.Append(TestCommands.At(1));
        writer.Commit();
        Assert.Equal(1, writer.FlushedSequence);
        Assert.Equal(-1, writer.SyncedSequence);
        Assert.Equal(RecordSize, new FileInfo(FileFor(Dir, 1)).Length);

        writer.Sync();
        Assert.Equal(1, writer.SyncedSequence);
    }

    [Fact]
    public void Commit_IntervalPolicy_SyncsOnlyOnceTheIntervalHasPassed()
    {
        var clock = new ManualTimeProvider();
        var options = Options(Dir) with { Fsync = FsyncPolicy.IntervalMs, FsyncIntervalMs = 10, TimeProvider = clock };
        using var writer = new JournalWriter(options);
        writer.Append(TestCommands.At(1));
        writer.Commit();
        Assert.Equal(1, writer.FlushedSequence);
        Assert.Equal(-1, writer.SyncedSequence);

        clock.AdvanceMilliseconds(9);
        writer.Append(TestCommands.At(2));
        writer.Commit();
        Assert.Equal(-1, writer.SyncedSequence);

        clock.AdvanceMilliseconds(1);
        writer.Append(TestCommands.At(3));
        writer.Commit();
        Assert.Equal(3, writer.SyncedSequence);

        // The interval restarts at each fsync.
        clock.AdvanceMilliseconds(5);
        writer.Append(TestCommands.At(4));
        writer.Commit();
        Assert.Equal(3, writer.SyncedSequence);
    }

    [Fact]
    public void IdleTimer_IntervalPolicy_SyncsTheLastBatchOnceNoCommitCameForAnInterval()
    {
        var clock = new ManualTimeProvider();
        var options = Options(Dir) with { Fsync = FsyncPolicy.IntervalMs, FsyncIntervalMs = 10, TimeProvider = clock };
        using var writer = new JournalWriter(options);
        writer.Append(TestCommands.At(1));
        writer.Commit();
        Assert.Equal(-1, writer.SyncedSequence);

        // The timer ticks every 10 ms of real time but goes by the journal's clock: nothing is due yet.
        Thread.Sleep(50);
        Assert.Equal(-1, writer.SyncedSequence);

        clock.AdvanceMilliseconds(10);
        Eventually.True(() => writer.SyncedSequence == 1, "the idle fsync");
    }

    [Fact]
    public void Constructor_DirectoryHeldByAnotherWriter_RefusesWithAClearMessage()
    {
        using var first = new JournalWriter(Options(Dir));

        var error = Assert.Throws<DirectoryInUseException>(() => new JournalWriter(Options(Dir)));

        Assert.Contains("in use by another process", error.Message);
        Assert.Contains(Dir, error.Message);
    }

    [Fact]
    public void Dispose_ReleasesTheDirectory_ForTheNextWriter()
    {
        var first = new JournalWriter(Options(Dir));
        first.Dispose();

        using var second = new JournalWriter(Options(Dir));
        Assert.Equal(-1, second.LastSequence);
    }

    [Fact]
    public void Dispose_NeverPolicy_SyncsAndIsIdempotent()
    {
        var writer = new JournalWriter(Options(Dir));
        writer.Append(TestCommands.At(3));
        writer.Dispose();
        Assert.Equal(3, writer.SyncedSequence);
        writer.Dispose();
        Assert.Equal([3L], ReadAll(Dir).Sequences);
    }

    [Fact]
    public void Append_SteadyState_AllocatesNothing()
    {
        using var writer = new JournalWriter(Options(Dir));
        var command = TestCommands.At(0);
        long sequence = 0;
        for (int i = 0; i < 1_000; i++)
            AppendOne(writer, ref command, ref sequence);

        long allocated = Allocations.Fewest(() =>
        {
            for (int i = 0; i < 10_000; i++)
                AppendOne(writer, ref command, ref sequence);
        });

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Constructor_MaxFileBytesBelowOneRecord_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new JournalWriter(Options(Dir) with { MaxFileBytes = RecordSize - 1 }));

    private static void AppendOne(JournalWriter writer, ref Command command, ref long sequence)
    {
        command.Sequence = sequence++;
        writer.Append(command);
        if (sequence % 64 == 0)
            writer.Commit();
    }

    /// <summary>The bytes the writer produces for the record at <paramref name="sequence"/>.</summary>
    private static byte[] RecordBytes(long sequence)
    {
        using var scratch = new TempDirectory();
        using (var writer = new JournalWriter(Options(scratch.Path)))
            writer.Append(TestCommands.At(sequence));
        return File.ReadAllBytes(FileFor(scratch.Path, sequence));
    }
}
