namespace Exchange.Core.Journal;

/// <summary>Where a torn tail was cut: the valid records of <paramref name="FilePath"/> end at <paramref name="Offset"/>, and <paramref name="DiscardedBytes"/> bytes follow.</summary>
/// <param name="FilePath">The last journal file.</param>
/// <param name="Offset">The end of its last valid record, where the file should be truncated.</param>
/// <param name="DiscardedBytes">The bytes from <paramref name="Offset"/> to the end of the file.</param>
public readonly record struct JournalTornTail(string FilePath, long Offset, long DiscardedBytes);
