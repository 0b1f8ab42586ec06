using System.Runtime.InteropServices;

namespace Exchange.Core.Journal;

/// <summary>
/// fsync of a directory, which makes a rename or a file creation in it durable. .NET cannot open a directory as a
/// file, so this calls libc; on Windows, where NTFS journals its metadata and a directory cannot be flushed this
/// way, it does nothing.
/// </summary>
public static partial class DirectorySync
{
    private const int ReadOnly = 0;

    /// <summary>Makes the creations, renames and deletions in <paramref name="directory"/> durable.</summary>
    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows())
            return;

        int fd = Open(directory, ReadOnly);
        if (fd < 0)
            throw new IOException($"Cannot open directory '{directory}' to fsync it (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            if (Fsync(fd) != 0)
                throw new IOException($"fsync of directory '{directory}' failed (errno {Marshal.GetLastPInvokeError()}).");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
