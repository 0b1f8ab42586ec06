namespace Exchange.Core.Journal;

/// <summary>
/// The journal holds a damaged record that is not a torn tail (a bad record followed by more data, a gap in a
/// file that is not the last, sequences out of order): broken storage, which recovery must not paper over.
/// </summary>
public sealed class JournalCorruptException : IOException
{
    /// <summary>Creates the exception for the record at <paramref name="offset"/> in <paramref name="filePath"/>.</summary>
    public JournalCorruptException(string filePath, long offset, string reason)
        : base($"Journal corrupt in '{filePath}' at offset {offset}: {reason}")
    {
        FilePath = filePath;
        Offset = offset;
        Reason = reason;
    }

    /// <summary>The damaged file.</summary>
    public string FilePath { get; }

    /// <summary>The byte offset of the damaged record in <see cref="FilePath"/>.</summary>
    public long Offset { get; }

    /// <summary>What is wrong with it.</summary>
    public string Reason { get; }
}
