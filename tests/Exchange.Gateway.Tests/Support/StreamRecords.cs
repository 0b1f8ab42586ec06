using System.Buffers.Binary;
using Exchange.Core.Journal;
using Exchange.Gateway.Streams;

namespace Exchange.Gateway.Tests.Support;

/// <summary>
/// The persisted streams of a data directory read straight from their files (docs/architecture.md, "Streams"): per
/// stream directory, every record in order, header included (length, CRC32C, the producing command's sequence with the
/// outcome flag), so two directories can be compared byte for byte.
/// </summary>
internal static class StreamRecords
{
    /// <summary>One record: the producing command (outcome flag cleared; 0 = a gateway reject) and its bytes, header included.</summary>
    public readonly record struct Record(long Command, byte[] Bytes)
    {
        public override string ToString() => $"command {Command}: {Convert.ToHexString(Bytes)}";
    }

    /// <summary>Every stream of <paramref name="journal"/>, by directory name (user-…, marketdata, dropcopy-…).</summary>
    public static Dictionary<string, List<Record>> Read(string journal)
    {
        var result = new Dictionary<string, List<Record>>();
        foreach (var directory in Directory.GetDirectories(Path.Combine(journal, "streams")).Order(StringComparer.Ordinal))
            result[Path.GetFileName(directory)] = ReadStream(directory);
        return result;
    }

    /// <summary>The number of the first message a stream's files hold (1 unless retention dropped files, or a cluster node
    /// went on from a snapshot).</summary>
    public static long First(string directory) =>
        Directory.GetFiles(directory, "*.msgs").Select(f => long.Parse(Path.GetFileNameWithoutExtension(f), System.Globalization.CultureInfo.InvariantCulture))
            .DefaultIfEmpty(1).Min();

    public static List<Record> ReadStream(string directory)
    {
        var records = new List<Record>();
        foreach (var file in Directory.GetFiles(directory, "*.msgs").Order(StringComparer.Ordinal))
        {
            var bytes = File.ReadAllBytes(file);
            for (var offset = 0; offset + MessageLog.HeaderLength <= bytes.Length;)
            {
                var length = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(offset));
                var size = MessageLog.HeaderLength + length;
                if (length == 0 || offset + size > bytes.Length) break;
                var record = bytes.AsSpan(offset, size).ToArray();
                records.Add(new Record(BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(6)) & ~MessageLog.OutcomeFlag, record));
                offset += size;
            }
        }
        return records;
    }

    /// <summary>Cuts a stream to its first <paramref name="keep"/> records, as a crash that wrote only those would
    /// leave it (one file, named by its first message, 1).</summary>
    public static void Truncate(string directory, List<Record> records, int keep)
    {
        foreach (var file in Directory.GetFiles(directory, "*.msgs")) File.Delete(file);
        using var f = File.Create(Path.Combine(directory, 1L.ToString("D20", System.Globalization.CultureInfo.InvariantCulture) + ".msgs"));
        foreach (var r in records.Take(keep)) f.Write(r.Bytes);
    }

    /// <summary>Cuts a stream as a power loss can leave it after a roll the store's timer had not yet fsynced: the
    /// first file holds the first <paramref name="keep"/> records, then the start of the next one and zeros (pages never
    /// written back, blocks reserved); a newer file, named by its first message, holds the records from
    /// <paramref name="later"/> on (written back before the older file's pages).</summary>
    public static void TruncateTorn(string directory, List<Record> records, int keep, int later)
    {
        foreach (var file in Directory.GetFiles(directory, "*.msgs")) File.Delete(file);
        using (var f = File.Create(Path.Combine(directory, 1L.ToString("D20", System.Globalization.CultureInfo.InvariantCulture) + ".msgs")))
        {
            foreach (var r in records.Take(keep)) f.Write(r.Bytes);
            f.Write(records[keep].Bytes.AsSpan(0, 5));
            f.Write(new byte[4096]);
        }
        using var newer = File.Create(Path.Combine(directory, (later + 1L).ToString("D20", System.Globalization.CultureInfo.InvariantCulture) + ".msgs"));
        foreach (var r in records.Skip(later)) newer.Write(r.Bytes);
    }

    /// <summary>Sets the streams' written-through mark (<see cref="StreamStore.WrittenThroughFileName"/>) to <paramref name="through"/>.</summary>
    public static void WriteMark(string journal, long through)
    {
        var slot = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(slot, through);
        BinaryPrimitives.WriteUInt32LittleEndian(slot.AsSpan(8), Crc32C.Compute(slot.AsSpan(0, 8)));
        File.WriteAllBytes(Path.Combine(journal, "streams", StreamStore.WrittenThroughFileName), slot);
    }

    /// <summary>The journaled commands' sequences, in order.</summary>
    public static List<long> JournaledSequences(string journal)
    {
        var sequences = new List<long>();
        using var reader = new JournalReader(journal);
        while (reader.Read(out var command) == JournalReadStatus.Record) sequences.Add(command.Sequence);
        return sequences;
    }

    /// <summary>Copies a data directory (journal, snapshots, streams), for a second server to start on.</summary>
    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
            if (Path.GetFileName(file) != "LOCK") File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var directory in Directory.GetDirectories(from))
            CopyDirectory(directory, Path.Combine(to, Path.GetFileName(directory)));
    }
}
