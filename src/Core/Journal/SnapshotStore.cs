using System.Globalization;

namespace Exchange.Core.Journal;

/// <summary>
/// The snapshot files of one directory: <c>snapshot-&lt;sequence&gt;.bin</c>, each the <see cref="SnapshotCodec"/>
/// form of the state after that command. A snapshot is written to a temporary name, fsynced and renamed into place
/// (then the directory is fsynced), so a crash leaves either the whole file or none; only the newest
/// <see cref="Keep"/> are kept.
/// </summary>
/// <remarks>One writer per directory. Not on the hot path: it allocates.</remarks>
public sealed class SnapshotStore
{
    private const string Prefix = "snapshot-";
    private const string Extension = ".bin";
    private const string TempExtension = ".tmp";

    /// <summary>Opens (or creates) the directory and removes temporary files a crash left behind.</summary>
    /// <param name="directory">The snapshot directory.</param>
    /// <param name="keep">How many of the newest snapshots to keep after a write (at least 1).</param>
    public SnapshotStore(string directory, int keep = 2)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(keep);
        Directory = System.IO.Directory.CreateDirectory(directory).FullName;
        Keep = keep;
        foreach (string temp in System.IO.Directory.EnumerateFiles(Directory, Prefix + "*" + Extension + TempExtension))
            File.Delete(temp);
    }

    /// <summary>The snapshot directory.</summary>
    public string Directory { get; }

    /// <summary>How many snapshots are kept.</summary>
    public int Keep { get; }

    /// <summary>
    /// A sequence whose state must stay recoverable (null: none): pruning also keeps the newest snapshot at or below
    /// it (see <see cref="Pipeline.PipelineOptions.RetentionFloor"/>).
    /// </summary>
    public Func<long>? Floor { get; init; }

    /// <summary>The sequence below which the journal may go: that of the oldest snapshot kept, or 0 (none may go) when
    /// <see cref="Floor"/> is set and no kept snapshot is at or below it.</summary>
    public long CoveredSequence()
    {
        var kept = List();
        if (kept.Length == 0)
            return 0;
        long oldest = kept[^1].Sequence;
        return Floor is { } floor && oldest > floor() ? 0 : oldest;
    }

    /// <summary>The path of the snapshot after <paramref name="sequence"/> in <paramref name="directory"/>.</summary>
    public static string PathFor(string directory, long sequence) =>
        Path.Combine(directory, Prefix + sequence.ToString("D12", CultureInfo.InvariantCulture) + Extension);

    /// <summary>The snapshots in <paramref name="directory"/>, newest first; none if it does not exist.</summary>
    public static SnapshotFile[] List(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
            return [];

        var files = new List<SnapshotFile>();
        foreach (string path in System.IO.Directory.EnumerateFiles(directory, Prefix + "*" + Extension))
        {
            var name = Path.GetFileName(path.AsSpan());
            var digits = name[Prefix.Length..^Extension.Length];
            if (digits.Length > 0 && !digits.ContainsAnyExceptInRange('0', '9')
                && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long sequence))
            {
                files.Add(new SnapshotFile(sequence, path));
            }
        }

        files.Sort(static (a, b) => b.Sequence.CompareTo(a.Sequence));
        return [.. files];
    }

    /// <summary>The snapshots of this store, newest first.</summary>
    public SnapshotFile[] List() => List(Directory);

    /// <summary>Writes <paramref name="snapshot"/> as the snapshot after <paramref name="sequence"/>, durably and
    /// atomically, then deletes all but the newest <see cref="Keep"/>.</summary>
    /// <returns>The snapshot's path.</returns>
    public string Write(long sequence, ReadOnlySpan<byte> snapshot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        string path = PathFor(Directory, sequence);
        string temp = path + TempExtension;
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            stream.Write(snapshot);
            stream.Flush(flushToDisk: true);
        }

        // rename(2) replaces atomically; the directory fsync makes the new name itself survive a power loss.
        File.Move(temp, path, overwrite: true);
        DirectorySync.Flush(Directory);
        Prune();
        return path;
    }

    private void Prune()
    {
        var files = List();
        long floor = Floor?.Invoke() ?? long.MaxValue;
        // The newest snapshot at or below the floor stays, even past Keep.
        bool floorKept = false;
        for (int i = 0; i < files.Length; i++)
        {
            bool atFloor = !floorKept && files[i].Sequence <= floor;
            floorKept |= atFloor;
            if (i >= Keep && !atFloor)
                File.Delete(files[i].Path);
        }
    }
}
