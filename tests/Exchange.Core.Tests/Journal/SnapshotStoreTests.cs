using Exchange.Core.Journal;

namespace Exchange.Core.Tests.Journal;

public sealed class SnapshotStoreTests
{
    [Fact]
    public void Write_KeepsTheNewestTwo_AndLeavesNoTemporaryFile()
    {
        using var directory = new TempDirectory();
        var store = new SnapshotStore(directory.Path);

        foreach (long sequence in new long[] { 100, 200, 300, 400 })
            store.Write(sequence, [(byte)(sequence / 100)]);

        Assert.Equal([400L, 300L], store.List().Select(f => f.Sequence));
        Assert.Equal([4], File.ReadAllBytes(SnapshotStore.PathFor(directory.Path, 400)));
        Assert.Equal(2, Directory.GetFiles(directory.Path).Length);
    }

    [Fact]
    public void Write_WithAFloor_AlsoKeepsTheNewestAtOrBelowIt_AndTheJournalMayGoOnlyBehindThat()
    {
        using var directory = new TempDirectory();
        long floor = -1;
        var store = new SnapshotStore(directory.Path) { Floor = () => floor };

        // No snapshot at or below the floor yet: the newest two stay, and none of the journal may go.
        store.Write(100, [1]);
        store.Write(200, [2]);
        store.Write(300, [3]);
        Assert.Equal([300L, 200L], store.List().Select(f => f.Sequence));
        Assert.Equal(0, store.CoveredSequence());

        // The floor at 250 (a restart rebuilds the state there): 200 stays past the newest two, and covers the journal.
        floor = 250;
        store.Write(400, [4]);
        store.Write(500, [5]);
        Assert.Equal([500L, 400L, 200L], store.List().Select(f => f.Sequence));
        Assert.Equal(200, store.CoveredSequence());

        // The floor moves on: the kept snapshots are the usual ones again.
        floor = 450;
        store.Write(600, [6]);
        Assert.Equal([600L, 500L, 400L], store.List().Select(f => f.Sequence));
        floor = 600;
        store.Write(700, [7]);
        Assert.Equal([700L, 600L], store.List().Select(f => f.Sequence));
        Assert.Equal(600, store.CoveredSequence());
    }

    [Fact]
    public void List_IsNewestFirstByNumber_AndIgnoresOtherFiles()
    {
        using var directory = new TempDirectory();
        File.WriteAllBytes(Path.Combine(directory.Path, "snapshot-9.bin"), [1]);
        File.WriteAllBytes(Path.Combine(directory.Path, "snapshot-000000000010.bin"), [1]);
        File.WriteAllBytes(Path.Combine(directory.Path, "snapshot-x1.bin"), [1]);
        File.WriteAllBytes(Path.Combine(directory.Path, "journal-000000000001.log"), [1]);

        Assert.Equal([10L, 9L], SnapshotStore.List(directory.Path).Select(f => f.Sequence));
        Assert.Empty(SnapshotStore.List(Path.Combine(directory.Path, "missing")));
    }

    [Fact]
    public void Open_RemovesATemporaryFileThatACrashLeft_AndKeepsTheSnapshots()
    {
        using var directory = new TempDirectory();
        new SnapshotStore(directory.Path).Write(5, [5]);
        string temp = SnapshotStore.PathFor(directory.Path, 6) + ".tmp";
        File.WriteAllBytes(temp, [6]);

        var store = new SnapshotStore(directory.Path);

        Assert.False(File.Exists(temp));
        Assert.Equal([5L], store.List().Select(f => f.Sequence));
    }
}
