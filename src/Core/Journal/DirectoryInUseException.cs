namespace Exchange.Core.Journal;

/// <summary>A journal directory is locked by another writer (<see cref="DirectoryLock"/>): two servers cannot share it.</summary>
public sealed class DirectoryInUseException : IOException
{
    /// <summary>Creates the exception for <paramref name="directory"/>, whose lock file is <paramref name="lockPath"/>.</summary>
    public DirectoryInUseException(string directory, string lockPath, Exception inner)
        : base($"The journal directory '{directory}' is in use by another process (it holds the lock on '{lockPath}'): " +
               "two servers cannot share a journal. Stop the other one, or give this one its own directory.", inner)
    {
        Directory = directory;
    }

    /// <summary>The locked directory.</summary>
    public string Directory { get; }
}
