using Exchange.Gateway.Streams;

namespace Exchange.Gateway.Tests.Streams;

/// <summary>The stream's log on its own, with real files: reload, a torn tail, retention, the outcome search.</summary>
public sealed class MessageLogTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "exchange-messagelog-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private static byte[] Message(long i) => BitConverter.GetBytes(i * 7919).Concat(new byte[(int)(i % 40)]).ToArray();

    private MessageLog Open(RetentionWindow window) => new(window, new StreamFile(_directory, window.FileBytes));

    [Fact]
    public void Reopen_AfterATornTail_KeepsEveryWholeMessage_AndGoesOn()
    {
        var window = new RetentionWindow(1_000_000, 1L << 30, 0, 64 * 1024);
        using (var log = Open(window))
        {
            for (long i = 1; i <= 5_000; i++)
            {
                MessageLog.CurrentCommand = i / 3;
                log.Append(Message(i));
                if (i % 7 == 0) log.Flush();
            }
            log.Flush();
        }
        MessageLog.CurrentCommand = 0;
        var files = Directory.GetFiles(_directory, "*.msgs").Order().ToArray();
        Assert.True(files.Length > 1);
        // A crash in the middle of the last write: half a record at the end.
        using (var f = new FileStream(files[^1], FileMode.Open)) f.SetLength(f.Length - 5);

        using var reopened = Open(window);
        Assert.Equal(4_999, reopened.Count);
        Assert.Equal(4_999, reopened.Published);
        for (long i = 1; i <= 4_999; i++) Assert.Equal(Message(i), reopened.Get(i).ToArray());
        Assert.Equal(4_999 / 3, reopened.LastCommand);
        Assert.Equal(5_000, reopened.Append(Message(5_000)));
        reopened.Flush();
        Assert.Equal(Message(5_000), reopened.Get(5_000).ToArray());
    }

    [Fact]
    public void Reopen_OfAFileLeftOpenAsByAKill_KeepsEveryWrittenMessage_NotTheReservedZeros()
    {
        // The writer is never closed, as when the process is killed: the file being written is still mapped and
        // extends past its last record (reserved, zeros); the bytes copied into the mapping are in the file all the same.
        var window = new RetentionWindow(1_000_000, 1L << 30, 0, 256 * 1024);
        var left = Open(window);
        for (long i = 1; i <= 3_000; i++)
        {
            MessageLog.CurrentCommand = i;
            left.Append(Message(i));
            if (i % 5 == 0) left.Flush();
        }
        MessageLog.CurrentCommand = 0;
        Assert.Equal(3_000, left.Published);
        var files = Directory.GetFiles(_directory, "*.msgs");
        Assert.Single(files);
        long recordBytes = 0;
        for (long i = 1; i <= 3_000; i++) recordBytes += MessageLog.HeaderLength + Message(i).Length;
        // Mapped: the file is longer than its records (the reserved tail), which the reopen must cut off.
        if (StreamFile.Maps) Assert.True(new FileInfo(files[0]).Length > recordBytes, $"{new FileInfo(files[0]).Length} bytes for {recordBytes} of records");

        using var reopened = Open(window);
        Assert.Equal(3_000, reopened.Count);
        for (long i = 1; i <= 3_000; i++) Assert.Equal(Message(i), reopened.Get(i).ToArray());
        Assert.Equal(3_001, reopened.Append(Message(3_001)));
        reopened.Flush();
        GC.KeepAlive(left);
    }

    [Fact]
    public void Retention_DropsOldSegmentsAndFiles_FindOutcomeSeesOnlyTheWindow()
    {
        var window = new RetentionWindow(2_000, 1L << 30, 0, 64 * 1024);
        using var log = Open(window);
        for (long i = 1; i <= 20_000; i++)
        {
            // Commands 1, 2, ... with three messages each, the first its outcome.
            MessageLog.CurrentCommand = i / 3 + 1;
            var sequence = log.Append(Message(i));
            log.MarkOutcome(MessageLog.CurrentCommand, sequence);
            log.Flush();
        }
        MessageLog.CurrentCommand = 0;
        Assert.True(log.First > 1);
        Assert.True(log.Count - log.First + 1 >= 2_000);
        Assert.True(log.Count - log.First + 1 <= 2_000 + 2 * 65_536 / MessageLog.HeaderLength);
        // Retention only drops files; the store's timer deletes them (no timer here: its round, by hand).
        var dropped = log.File!.PendingDeletes;
        var before = log.File.DiskBytes;
        log.File.Sync(current: false);
        Assert.Equal(0, log.File.PendingDeletes);
        Assert.True(dropped == 0 || log.File.DiskBytes < before, $"{dropped} dropped, disk {before} -> {log.File.DiskBytes}");
        Assert.True(log.File.DiskBytes <= log.Bytes + 3 * 64 * 1024, $"disk {log.File.DiskBytes}, memory {log.Bytes}");
        // The outcome of a command still held; none for one before the window or never sent.
        for (var s = log.First + 3; s <= log.Count; s += 97)
        {
            var command = log.CommandOf(s);
            var first = log.FindOutcome(command);
            Assert.True(first <= s && log.CommandOf(first) == command && log.CommandOf(first - 1) != command);
        }
        Assert.Equal(0, log.FindOutcome(1));
        Assert.Equal(0, log.FindOutcome(1_000_000));
    }

    [Fact]
    public void OutcomeMarks_Survive_AReopen_IncludingAnOutcomeThatIsNotTheCommandsFirstMessage()
    {
        var window = new RetentionWindow(1_000_000, 1L << 30, 0, 64 * 1024);
        var outcomes = new Dictionary<long, long>();
        using (var log = Open(window))
        {
            for (long command = 1; command <= 3_000; command++)
            {
                // Three messages per command; the outcome is the first, or the last (a cancel-all's K), or none,
                // marked right after its commit as the router does (before a later message can fill the segment).
                MessageLog.CurrentCommand = command;
                var kind = command % 5 == 0 ? 0 : command % 3 == 0 ? 2 : 1;
                var first = log.Append(Message(command));
                if (kind == 1) log.MarkOutcome(command, outcomes[command] = first);
                log.Append(Message(command + 1));
                var last = log.Append(Message(command + 2));
                if (kind == 2) log.MarkOutcome(command, outcomes[command] = last);
                if (command % 4 == 0) log.Flush();
            }
            log.Flush();
        }
        MessageLog.CurrentCommand = 0;

        using var reopened = Open(window);
        for (long command = 1; command <= 3_000; command++)
            Assert.Equal(outcomes.GetValueOrDefault(command), reopened.FindOutcome(command));
        // The flag is not part of the command a record carries.
        Assert.Equal(3_000, reopened.LastCommand);
        Assert.Equal(3, reopened.CommandOf(9));
        Assert.Equal(Message(3), reopened.Get(7).ToArray());
    }
}
