using Exchange.Gateway.Streams;

namespace Exchange.Gateway.Tests.Streams;

/// <summary>
/// A stream's roll to its next file, with real files: the writer never fsyncs (the store's timer finishes the file it
/// moved on from), so a kill right after a roll leaves that file uncut, and a power loss can leave it torn while newer
/// files exist. The load keeps every message a kill kept, and lets go of a power loss's lost tail only where the
/// written-through mark says nothing after it was reported durable (docs/architecture.md, "Streams").
/// </summary>
public sealed class StreamRollTests : IDisposable
{
    private const long FileBytes = 64 * 1024;
    private static readonly RetentionWindow Window = new(1_000_000, 1L << 30, 0, FileBytes);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "exchange-streamroll-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private static byte[] Message(long i) => BitConverter.GetBytes(i * 7919).Concat(new byte[(int)(i % 40)]).ToArray();

    private MessageLog Open(long? mark = null, string? directory = null) => new(Window, new StreamFile(directory ?? _directory, FileBytes, mark));

    /// <summary>Message i is command i's; a flush every 3 messages, as output batches. The writer is left open (as a kill
    /// leaves it) or closed.</summary>
    private MessageLog Write(long count, bool close)
    {
        var log = Open();
        for (long i = 1; i <= count; i++)
        {
            MessageLog.CurrentCommand = i;
            log.Append(Message(i));
            if (i % 3 == 0) log.Flush();
        }
        log.Flush();
        MessageLog.CurrentCommand = 0;
        if (close) log.Dispose();
        return log;
    }

    private string[] Files() => Directory.GetFiles(_directory, "*.msgs").Order(StringComparer.Ordinal).ToArray();

    private static long FirstOf(string file) => long.Parse(Path.GetFileNameWithoutExtension(file), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The byte offset of message <paramref name="message"/> in <paramref name="file"/> (its first is FirstOf).</summary>
    private static long OffsetOf(string file, long message)
    {
        long offset = 0;
        for (var m = FirstOf(file); m < message; m++) offset += MessageLog.HeaderLength + Message(m).Length;
        return offset;
    }

    /// <summary>A power loss's tear: from <paramref name="offset"/> on the file holds zeros (blocks reserved ahead, the
    /// pages never written back), its size unchanged.</summary>
    private static void Tear(string file, long offset)
    {
        using var f = new FileStream(file, FileMode.Open, FileAccess.Write);
        var length = f.Length;
        f.SetLength(offset);
        f.SetLength(length);
    }

    private void AssertHolds(MessageLog log, long count)
    {
        Assert.Equal(count, log.Count);
        Assert.Equal(count, log.Published);
        for (long i = 1; i <= count; i++) Assert.Equal(Message(i), log.Get(i).ToArray());
        Assert.Equal(count, log.LastCommand);
    }

    [Fact]
    public void AKillRightAfterRolls_LeavesFilesUncut_TheLoadKeepsEveryMessage()
    {
        // Never closed and no store timer: every file the writer moved on from is still mapped, uncut (zeros after its
        // records when mapped) and not fsynced, as a kill -9 before the timer's next round leaves them.
        var left = Write(20_000, close: false);
        var files = Files();
        Assert.True(files.Length >= 4, $"{files.Length} files");
        if (StreamFile.Maps)
        {
            var uncut = 0;
            for (var f = 0; f < files.Length - 1; f++)
                if (new FileInfo(files[f]).Length > OffsetOf(files[f], FirstOf(files[f + 1]))) uncut++;
            Assert.True(uncut >= 3, $"{uncut} of {files.Length - 1} finished files are longer than their records");
        }

        using (var reopened = Open())
        {
            AssertHolds(reopened, 20_000);
            MessageLog.CurrentCommand = 20_001;
            Assert.Equal(20_001, reopened.Append(Message(20_001)));
            reopened.Flush();
            MessageLog.CurrentCommand = 0;
        }
        // The load cut each file to its records; nothing was let go.
        Assert.Equal(files, Files());
        var after = Files();
        for (var f = 0; f < after.Length - 1; f++) Assert.Equal(OffsetOf(after[f], FirstOf(after[f + 1])), new FileInfo(after[f]).Length);
        using var again = Open();
        AssertHolds(again, 20_001);
        GC.KeepAlive(left);
    }

    [Fact]
    public void APowerLossTearsAFileTheWriterMovedOnFrom_CutThere_OnlyWhenTheMarkIsBeforeTheNewerFiles()
    {
        Write(20_000, close: true);
        var files = Files();
        Assert.True(files.Length >= 4, $"{files.Length} files");
        // The second file torn in the middle of a record; two newer files hold messages of later commands.
        var torn = files[1];
        var lostFrom = FirstOf(torn) + 200;
        Tear(torn, OffsetOf(torn, lostFrom) + 5);
        var newer = FirstOf(files[2]); // message n is command n's

        // A record at or below the mark after the loss: the timer fsynced the torn file before it wrote that mark, so
        // this is damage, not a power loss. No mark at all: nothing says what was durable. Both refused, nothing changed.
        foreach (var mark in new long?[] { newer, newer + 500, null })
        {
            var e = Assert.Throws<InvalidDataException>(() => Open(mark));
            Assert.Contains("refused", e.Message);
            Assert.Equal(files, Files());
        }

        // The mark before the newer files' first command: the stream ends where the loss begins.
        using (var log = Open(newer - 1))
        {
            AssertHolds(log, lostFrom - 1);
            Assert.Equal(files[..2], Files());
            Assert.Equal(OffsetOf(torn, lostFrom), new FileInfo(torn).Length);
            // It goes on from there (re-derivation writes the lost messages back, numbered as before).
            for (var i = lostFrom; i <= 20_000; i++)
            {
                MessageLog.CurrentCommand = i;
                Assert.Equal(i, log.Append(Message(i)));
                if (i % 3 == 0) log.Flush();
            }
            log.Flush();
            MessageLog.CurrentCommand = 0;
        }
        using var reopened = Open(newer - 1);
        AssertHolds(reopened, 20_000);
    }

    [Fact]
    public void APowerLossLosesAFilesDirectoryEntry_TheStreamEndsBeforeIt_OnlyWhenTheMarkIsBeforeTheNewerFiles()
    {
        Write(20_000, close: true);
        var files = Files();
        Assert.True(files.Length >= 4, $"{files.Length} files");
        // The third file's directory entry did not reach the disk; the fourth's did.
        File.Delete(files[2]);
        var newer = FirstOf(files[3]);
        foreach (var mark in new long?[] { newer, null })
        {
            Assert.Throws<InvalidDataException>(() => Open(mark));
            Assert.Equal(files.Where((_, i) => i != 2), Files());
        }

        using (var log = Open(newer - 1)) AssertHolds(log, FirstOf(files[2]) - 1);
        Assert.Equal(files[..2], Files());

        // The last file's entry lost: nothing is after it, the stream simply ends before it (no mark needed).
        File.Delete(files[1]);
        using var reopened = Open();
        AssertHolds(reopened, FirstOf(files[1]) - 1);
    }

    [Fact]
    public void APowerLossTearsAFile_WhileTheNewerFilesHoldNoWholeRecord_IsATornTail()
    {
        Write(20_000, close: true);
        var files = Files();
        var torn = files[^3];
        var lostFrom = FirstOf(torn) + 7;
        Tear(torn, OffsetOf(torn, lostFrom));
        // The newer files were created (their entries and sizes reached the disk), their pages never did.
        Tear(files[^2], 0);
        Tear(files[^1], 0);
        using var log = Open();
        AssertHolds(log, lostFrom - 1);
        Assert.Equal(files[..^2], Files());
    }

    [Fact]
    public void AFileWithMoreRecordsThanTheNextFilesNameAllows_IsRefused()
    {
        Write(20_000, close: true);
        var files = Files();
        // The second file renamed one message later: its predecessor then holds a message it should not.
        File.Move(files[1], Path.Combine(_directory, (FirstOf(files[1]) - 1).ToString("D20", System.Globalization.CultureInfo.InvariantCulture) + ".msgs"));
        Assert.Throws<InvalidDataException>(() => Open(1_000_000));
    }

    [Fact]
    public void TheStoreTimer_FinishesTheFilesTheWriterMovedOn_FromBeforeItsMark()
    {
        // Through the store: its timer cuts and closes each file the writer moved on from (the writer does not).
        var data = _directory + "-store";
        try
        {
            using (var store = new StreamStore(data, Window, "S1", fsyncIntervalMs: 5, DateTime.UtcNow))
            {
                var log = store.Open("user-74");
                for (long i = 1; i <= 20_000; i++)
                {
                    MessageLog.CurrentCommand = i;
                    log.Append(Message(i));
                    if (i % 3 == 0) log.Flush();
                }
                log.Flush();
                MessageLog.CurrentCommand = 0;
                store.WrittenThrough = () => 20_000;
                Assert.Equal(20_000, store.MarkNow());
                // MarkNow ran a round: every file but the one being written is cut to its records.
                var files = Directory.GetFiles(Path.Combine(data, "streams", "user-74"), "*.msgs").Order(StringComparer.Ordinal).ToArray();
                Assert.True(files.Length >= 4, $"{files.Length} files");
                for (var f = 0; f < files.Length - 1; f++)
                    Assert.Equal(OffsetOf(files[f], FirstOf(files[f + 1])), new FileInfo(files[f]).Length);
            }
            using var reopened = new StreamStore(data, Window, "", fsyncIntervalMs: 5, DateTime.UtcNow);
            Assert.Equal(20_000, reopened.WrittenThroughAtStart);
            AssertHolds(reopened.Open("user-74"), 20_000);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
