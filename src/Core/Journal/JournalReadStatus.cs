namespace Exchange.Core.Journal;

/// <summary>The outcome of <see cref="JournalReader.Read"/>.</summary>
public enum JournalReadStatus
{
    /// <summary>A record was read.</summary>
    Record = 0,
    /// <summary>The journal ends cleanly after the last record read.</summary>
    End = 1,
    /// <summary>
    /// The last file ends in a partly written record (a crash mid-write): the journal ends before it, at
    /// <see cref="JournalReader.TornTail"/>. Expected after a crash; the writer cuts it off when it reopens.
    /// </summary>
    TornTail = 2,
}
