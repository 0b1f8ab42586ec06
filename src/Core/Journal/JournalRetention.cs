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
        int removed = 0;
        // File i ends just before file i + 1 starts: it is covered when the next one starts at most one past the snapshot.
        for (int i = 0; i + 1 < files.Length && files[i + 1].FirstSequence <= coveredSequence + 1; i++)
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

            removed++;
        }

        if (removed > 0)
            DirectorySync.Flush(directory);
        return removed;
    }
}
