using Exchange.Core.Journal;
using static Exchange.Core.Tests.Journal.JournalFixture;

namespace Exchange.Core.Tests.Journal;

public sealed class JournalRetentionTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private string Dir => _directory.Path;

    public void Dispose() => _directory.Dispose();

    private List<string> Files(string directory) =>
        Directory.GetFiles(directory, "journal-*.log").Select(path => Path.GetFileName(path)).Order().ToList();

    [Fact]
    public void RemoveCovered_FilesWhollyAtOrBelowTheSnapshot_AreDeleted_TheRestReadOnFromIt()
    {
        Write(Dir, first: 1, count: 35, recordsPerFile: 10);

        // Snapshot 20 covers 1-10 and 11-20; 21-30 holds 21.. which recovery needs.
        Assert.Equal(2, JournalRetention.RemoveCovered(Dir, coveredSequence: 20, archiveDirectory: null));

        Assert.Equal<string>(["journal-000000000021.log", "journal-000000000031.log"], Files(Dir));
        var (sequences, ending) = ReadAll(Dir, fromSequence: 21);
        Assert.Equal(Range(21, 15), sequences);
        Assert.Equal(JournalReadStatus.End, ending);
    }

    [Fact]
    public void RemoveCovered_SnapshotInsideAFile_KeepsThatFile()
    {
        Write(Dir, first: 1, count: 35, recordsPerFile: 10);

        Assert.Equal(1, JournalRetention.RemoveCovered(Dir, coveredSequence: 19, archiveDirectory: null));

        Assert.Equal<string>(["journal-000000000011.log", "journal-000000000021.log", "journal-000000000031.log"], Files(Dir));
    }

    [Fact]
    public void RemoveCovered_EverythingCovered_KeepsTheLastFile()
    {
        Write(Dir, first: 1, count: 35, recordsPerFile: 10);

        Assert.Equal(3, JournalRetention.RemoveCovered(Dir, coveredSequence: 35, archiveDirectory: null));

        Assert.Equal<string>(["journal-000000000031.log"], Files(Dir));
        using var writer = new JournalWriter(Options(Dir, recordsPerFile: 10));
        Assert.Equal(35, writer.LastSequence);
    }

    [Fact]
    public void RemoveCovered_WithAnArchive_MovesTheFilesThereIntact()
    {
        Write(Dir, first: 1, count: 35, recordsPerFile: 10);
        string archive = Path.Combine(Dir, "archive");

        Assert.Equal(2, JournalRetention.RemoveCovered(Dir, coveredSequence: 25, archive));

        Assert.Equal<string>(["journal-000000000021.log", "journal-000000000031.log"], Files(Dir));
        Assert.Equal<string>(["journal-000000000001.log", "journal-000000000011.log"], Files(archive));
        var (sequences, ending) = ReadAll(archive);
        Assert.Equal(Range(1, 20), sequences);
        Assert.Equal(JournalReadStatus.End, ending);
    }
}
