using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Exchange.Core.Journal;

/// <summary>
/// Starts the write-back of a file's dirty pages without waiting for it and without making anything durable
/// (<c>sync_file_range(SYNC_FILE_RANGE_WRITE)</c>, Linux; elsewhere nothing). The journal's timer calls it under the
/// <c>interval</c> and <c>never</c> policies so that the fsync a file switch makes on the journal's thread finds little
/// left to write: with 24 GB of memory the kernel's own write-back starts only past gigabytes of dirty pages, so a 64 MiB
/// segment was still all in memory at its switch and that fsync took 75-181 ms on the pipeline thread at 100k/s
/// (docs/benchmarks.md, "The journal's file switch").
/// </summary>
internal static partial class Writeback
{
    private const uint SyncFileRangeWrite = 2;
    private static bool _works = OperatingSystem.IsLinux();

    /// <summary>Opens <paramref name="path"/> read-only for <see cref="Start(SafeFileHandle)"/> (so the writer's handle is
    /// not touched); null where write-back does nothing, or when the file is gone.</summary>
    public static SafeFileHandle? Open(string path)
    {
        if (!_works)
            return null;
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Deleted by retention, or the directory is going away: nothing to write back.
            return null;
        }
    }

    /// <summary>Starts writing back every dirty page of the file <paramref name="handle"/> is open on; an error is ignored.</summary>
    public static void Start(SafeFileHandle handle)
    {
        if (_works && SyncFileRange((int)handle.DangerousGetHandle(), 0, 0, SyncFileRangeWrite) != 0 && Marshal.GetLastPInvokeError() == 38)
            _works = false; // ENOSYS
    }

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(int fd, long offset, long nbytes, uint flags);
}
