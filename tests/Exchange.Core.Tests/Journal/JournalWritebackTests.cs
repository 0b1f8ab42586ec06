using System.Diagnostics;
using System.Runtime.InteropServices;
using Exchange.Core.Journal;
using Exchange.Core.Tests.Support;
using static Exchange.Core.Tests.Journal.JournalFixture;

namespace Exchange.Core.Tests.Journal;

/// <summary>
/// The journal's write-back timer under the <c>never</c> and <c>interval</c> policies (Linux): the file being written does
/// not stay dirty in the page cache until its switch, whose fsync runs on the journal's thread. Read with the kernel's
/// <c>cachestat</c> (Linux 6.5 and later): the file's dirty pages, which nothing else writes back within the test's
/// seconds (the kernel's own write-back starts after 30 s, or past gigabytes of dirty memory).
/// </summary>
public sealed partial class JournalWritebackTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [StructLayout(LayoutKind.Sequential)]
    private struct CachestatRange
    {
        public ulong Offset;
        public ulong Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Cachestat
    {
        public ulong Cache;
        public ulong Dirty;
        public ulong Writeback;
        public ulong Evicted;
        public ulong RecentlyEvicted;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, int fd, ref CachestatRange range, ref Cachestat stat, uint flags);

    /// <summary>The file's dirty pages; null where cachestat is not available.</summary>
    private static long? DirtyPages(string path)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return null;
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var range = new CachestatRange();
        var stat = new Cachestat();
        if (Syscall(451, (int)handle.DangerousGetHandle(), ref range, ref stat, 0) != 0)
        {
            Assert.Equal(38, Marshal.GetLastPInvokeError()); // ENOSYS: a kernel before 6.5
            return null;
        }

        return (long)stat.Dirty;
    }

    [Fact]
    public void UnderNever_TheFileBeingWritten_IsWrittenBackByTheTimer_NotLeftDirtyForTheSwitch()
    {
        using var writer = new JournalWriter(Options(_directory.Path) with { Fsync = FsyncPolicy.Never, FsyncIntervalMs = 10 });
        // About 4 MiB, in batches of 64; nothing fsyncs it under this policy. (The deadline is generous for a loaded machine:
        // the timer runs every 10 ms; without it the pages stay dirty for 30 s.)
        Append(writer, 1, (int)(4 * 1024 * 1024 / RecordSize));
        var path = Directory.GetFiles(_directory.Path, "*.log").Single();
        if (DirtyPages(path) is not { } dirty)
            return;
        var clean = Stopwatch.StartNew();
        while (dirty > 0 && clean.Elapsed < TimeSpan.FromSeconds(20))
        {
            Thread.Sleep(10);
            dirty = DirtyPages(path)!.Value;
        }

        Assert.Equal(0, dirty);
        // Written back, not made durable by the journal's account: only fsyncs move SyncedSequence.
        Assert.True(writer.SyncedSequence < writer.LastSequence, $"synced {writer.SyncedSequence} of {writer.LastSequence}");
    }

    [Fact]
    public void TheTimer_OpensEachFileOnce_AndFollowsASwitch()
    {
        if (!OperatingSystem.IsLinux())
            return;
        // Two files of 1,000 records; the timer ticks every 10 ms.
        using var writer = new JournalWriter(Options(_directory.Path, recordsPerFile: 1_000) with { Fsync = FsyncPolicy.Never, FsyncIntervalMs = 10 });
        Append(writer, 1, 500);
        var ticks = Stopwatch.StartNew();
        while (writer.WritebackOpens < 1 && ticks.Elapsed < TimeSpan.FromSeconds(20))
            Thread.Sleep(10);
        // Many ticks on the first file: it was opened once, not once a tick (which was about six system calls each).
        Thread.Sleep(300);
        Assert.Equal(1, writer.WritebackOpens);

        Append(writer, 501, 1_000);
        Assert.Equal(2, Directory.GetFiles(_directory.Path, "*.log").Length);
        ticks.Restart();
        while (writer.WritebackOpens < 2 && ticks.Elapsed < TimeSpan.FromSeconds(20))
            Thread.Sleep(10);
        Thread.Sleep(300);
        Assert.Equal(2, writer.WritebackOpens);
    }
}
