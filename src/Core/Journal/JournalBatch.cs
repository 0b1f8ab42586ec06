using Exchange.Core.Commands;

namespace Exchange.Core.Journal;

/// <summary>
/// A batch of commands in the journal's record format, in memory: the records a journal file would hold, back to back.
/// A Raft cluster ships one batch per input-ring batch, so what travels between nodes is byte for byte what the file
/// journal writes, and is checked with the same per-record CRC.
/// </summary>
public static class JournalBatch
{
    /// <summary>The encoded size of one command.</summary>
    public const int RecordSize = JournalRecord.Size;

    /// <summary>Encodes <paramref name="command"/> (its stamped sequence included) into the first
    /// <see cref="RecordSize"/> bytes of <paramref name="destination"/>.</summary>
    public static void Write(Span<byte> destination, in Command command) => JournalRecord.Write(destination, command);

    /// <summary>
    /// Decodes the record at the start of <paramref name="source"/>. False when the record is short, has a length
    /// other than a command's, a bad CRC, a format this version does not read, or a header sequence that disagrees with
    /// its payload: a damaged batch (or one from a newer version).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out Command command)
    {
        command = default;
        if (source.Length < RecordSize || JournalRecord.ReadLength(source) != JournalRecord.PayloadLength
            || !JournalRecord.HasValidCrc(source, JournalRecord.PayloadLength)
            || !CommandCodec.IsKnownFormat(source[JournalRecord.HeaderSize..]))
            return false;
        command = CommandCodec.Read(source.Slice(JournalRecord.HeaderSize, JournalRecord.PayloadLength));
        return command.Sequence == JournalRecord.ReadSequence(source);
    }
}
