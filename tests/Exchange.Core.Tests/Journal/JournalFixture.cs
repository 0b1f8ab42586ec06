using Exchange.Core.Journal;

namespace Exchange.Core.Tests.Journal;

/// <summary>Writing and reading whole test journals.</summary>
internal static class JournalFixture
{
    /// <summary>The on-disk size of one record: 16-byte header and the 80-byte command (format 2).</summary>
    public const int RecordSize = 96;

    public static JournalOptions Options(string directory, int recordsPerFile = 1_000_000) => new()
    {
        Directory = directory,
        MaxFileBytes = (long)recordsPerFile * RecordSize,
        Fsync = FsyncPolicy.Never,
    };

    /// <summary>Appends <see cref="TestCommands.At"/> for each sequence in <c>[first, first + count)</c>, committing every 64.</summary>
    public static void Append(JournalWriter writer, long first, int count)
    {
        for (long sequence = first; sequence < first + count; sequence++)
        {
            writer.Append(TestCommands.At(sequence));
            if ((sequence - first) % 64 == 63)
                writer.Commit();
        }

        writer.Commit();
    }

    public static void Write(string directory, long first, int count, int recordsPerFile = 1_000_000)
    {
        using var writer = new JournalWriter(Options(directory, recordsPerFile));
        Append(writer, first, count);
    }

    /// <summary>Reads from <paramref name="fromSequence"/> to the end, checking every record against <see cref="TestCommands.At"/>.</summary>
    /// <returns>The sequences read, and how the journal ended.</returns>
    public static (List<long> Sequences, JournalReadStatus Ending) ReadAll(string directory, long fromSequence = 0)
    {
        var sequences = new List<long>();
        using var reader = new JournalReader(directory, fromSequence);
        JournalReadStatus status;
        while ((status = reader.Read(out var command)) == JournalReadStatus.Record)
        {
            TestCommands.AssertEqual(TestCommands.At(command.Sequence), command);
            sequences.Add(command.Sequence);
        }

        return (sequences, status);
    }

    public static string FileFor(string directory, long firstSequence) =>
        Path.Combine(directory, $"journal-{firstSequence:D12}.log");

    public static void FlipByte(string path, long offset)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = offset;
        int value = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(value ^ 0x5A));
    }

    public static void Truncate(string path, long length)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.SetLength(length);
    }

    public static void AppendBytes(string path, ReadOnlySpan<byte> bytes)
    {
        using var stream = new FileStream(path, FileMode.Append, FileAccess.Write);
        stream.Write(bytes);
    }

    public static IEnumerable<long> Range(long first, int count)
    {
        for (long sequence = first; sequence < first + count; sequence++)
            yield return sequence;
    }
}
