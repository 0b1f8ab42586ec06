namespace Exchange.Core.Journal;

/// <summary>
/// Keeps the journal's disk bounded: a file whose every record is covered by a snapshot is no longer needed for
/// recovery (which starts from a snapshot and reads the journal after it), so it is deleted or moved to an archive
/// directory. The last file is never touched (the writer appends to it), nor a file holding any command after the
/// covering snapshot.
/// </summary>
/// <remarks>
/// Safe beside a running writer: it only appends to the last file and only creates newer ones. The covering sequence
/// must be that of the <em>oldest</em> snapshot kept, since recovery falls back to it when a newer one is damaged.
/// </remarks>
public static class JournalRetention
{
    /// <summary>Removes (or archives) the files of <paramref name="directory"/> whose records all have a sequence at or
    /// below <paramref name="coveredSequence"/>.</summary>
    /// <param name="directory">The journal directory.</param>
    /// <param name="coveredSequence">The sequence of the oldest snapshot kept.</param>
    /// <param name="archiveDirectory">Where covered files are moved (created if missing); null or empty deletes them.</param>
    /// <returns>How many files were removed.</returns>
    public static int RemoveCovered(string directory, long coveredSequence, string? archiveDirectory)
    {
        if (!Directory.Exists(directory))
            return 0;
        var files = JournalFile.List(directory);
        // File i ends just before file i + 1 starts: it is covered when the next one starts at most one past the snapshot.
        int count = 0;
        while (count + 1 < files.Length && files[count + 1].FirstSequence <= coveredSequence + 1)
            count++;
        if (count == 0)
            return 0;

        // Written first, so a crash half-way through the removal still leaves the mark recovery checks.
        WriteRemovedThrough(directory, files[count].FirstSequence - 1);
        for (int i = 0; i < count; i++)
        {
            if (string.IsNullOrEmpty(archiveDirectory))
            {
                File.Delete(files[i].Path);
            }
            else
            {
                Directory.CreateDirectory(archiveDirectory);
                File.Move(files[i].Path, Path.Combine(archiveDirectory, Path.GetFileName(files[i].Path)), overwrite: true);
            }
        }

        DirectorySync.Flush(directory);
        return count;
    }

    /// <summary>The name of the file that records how far retention has removed the journal.</summary>
    public const string RemovedThroughFileName = "REMOVED-THROUGH";

    /// <summary>The highest sequence whose record retention may have removed from <paramref name="directory"/>; 0 when
    /// nothing was ever removed. Recovery needs a state at least this far (a snapshot) before it may replay the rest:
    /// sequences also skip where book queries took them (never journaled), so a gap between files proves nothing alone.</summary>
    /// <param name="directory">The journal directory.</param>
    public static long RemovedThrough(string directory)
    {
        string path = Path.Combine(directory, RemovedThroughFileName);
        if (!File.Exists(path))
            return 0;
        string text = File.ReadAllText(path).Trim();
        return long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long value)
            ? value
            : throw new InvalidDataException($"'{path}' does not hold a sequence: '{text}'.");
    }

    private static void WriteRemovedThrough(string directory, long sequence)
    {
        if (sequence <= RemovedThrough(directory))
            return;
        string path = Path.Combine(directory, RemovedThroughFileName);
        string temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(System.Text.Encoding.ASCII.GetBytes(sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
        DirectorySync.Flush(directory);
    }
}
