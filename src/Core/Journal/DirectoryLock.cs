namespace Exchange.Core.Journal;

/// <summary>
/// An exclusive lock on a data directory, held from open to dispose: the file <c>LOCK</c> in it, opened with
/// <see cref="FileShare.None"/>, which .NET turns into an advisory <c>flock</c> on Unix (and a sharing mode on
/// Windows). A second process (or a second writer in this one) that opens the same directory is refused at once with a
/// message naming it, instead of both appending to one journal. The lock dies with its process, so a crash leaves
/// nothing to clean up; the file itself stays (deleting it on close would let two openers lock different files).
/// </summary>
public sealed class DirectoryLock : IDisposable
{
    /// <summary>The lock file's name inside the directory.</summary>
    public const string FileName = "LOCK";

    private readonly FileStream _file;

    private DirectoryLock(FileStream file) => _file = file;

    /// <summary>Locks <paramref name="directory"/> (created if missing).</summary>
    /// <exception cref="DirectoryInUseException">Another process, or another open lock in this one, holds it.</exception>
    public static DirectoryLock Acquire(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string path = Path.Combine(Directory.CreateDirectory(directory).FullName, FileName);
        try
        {
            return new DirectoryLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0));
        }
        catch (IOException exception) when (exception is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new DirectoryInUseException(directory, path, exception);
        }
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose() => _file.Dispose();
}
