using System.Globalization;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace Exchange.Cluster;

/// <summary>
/// A snapshot of the exchange on disk, as the Raft log sees it: the state after the log entry at <see cref="Index"/>,
/// in the engine's own snapshot format (<see cref="Core.Journal.SnapshotCodec"/>, checksummed). The file is named
/// <c>&lt;index&gt;-&lt;term&gt;.snapshot</c>; the write-ahead log deletes its entries up to the index once the
/// snapshot is in place, and sends the file to a follower that is further behind than the log reaches.
/// </summary>
internal sealed class RaftSnapshot : ISnapshot
{
    public const string Extension = ".snapshot";

    private readonly long _length;

    public RaftSnapshot(string path, long index, long term, long length)
    {
        Path = path;
        Index = index;
        Term = term;
        _length = length;
    }

    private int _sends;

    /// <summary>
    /// Called each time this snapshot is sent again after a first complete send (on the library thread that sends the
    /// leader's log to that follower).
    /// </summary>
    /// <remarks>
    /// DotNext.Net.Cluster 6.12.2's leader resends a snapshot when it did not hear the follower's answer (the request
    /// timed out while the follower installed it, or the connection broke). The follower, whose commit index is now the
    /// snapshot's index, rejects it ("not newer than my commit index"), and the leader answers a rejection by lowering
    /// the follower's next index, which keeps it at or below the snapshot: it sends the same snapshot again and again and
    /// the follower gets no entry after it until the leader has a newer snapshot (or the leadership changes).
    /// </remarks>
    public Action? Resent { get; set; }

    /// <summary>The snapshot's file.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public long Index { get; }

    /// <inheritdoc/>
    public long Term { get; }

    long? IDataTransferObject.Length => _length;

    bool IDataTransferObject.IsReusable => true;

    async ValueTask IDataTransferObject.WriteToAsync<TWriter>(TWriter writer, CancellationToken token)
    {
        var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete,
            bufferSize: 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (stream.ConfigureAwait(false))
            await writer.CopyFromAsync(stream, token: token).ConfigureAwait(false);
        if (Interlocked.Increment(ref _sends) > 1)
            Resent?.Invoke();
    }

    private static ReadOnlySpan<byte> ExtraMagic => "EXSTRM01"u8;

    /// <summary>
    /// A snapshot file's bytes: the engine's snapshot, then, when the node keeps streams, <paramref name="extra"/> (what
    /// <see cref="ICommittedOutput.Capture"/> gave) as a trailer: the bytes, their length (u32), their CRC32C (u32) and
    /// the magic <c>EXSTRM01</c>. A file without the trailer is the engine's snapshot alone.
    /// </summary>
    public static byte[] Pack(ReadOnlySpan<byte> state, byte[]? extra)
    {
        if (extra is null) return state.ToArray();
        var bytes = new byte[state.Length + extra.Length + 16];
        state.CopyTo(bytes);
        extra.CopyTo(bytes, state.Length);
        var tail = bytes.AsSpan(state.Length + extra.Length);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(tail, (uint)extra.Length);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(tail[4..], Core.Journal.Crc32C.Compute(extra));
        ExtraMagic.CopyTo(tail[8..]);
        return bytes;
    }

    /// <summary>Splits a snapshot file's bytes into the engine's snapshot and the trailer (empty when none).</summary>
    /// <exception cref="InvalidDataException">The trailer is damaged.</exception>
    public static (ReadOnlyMemory<byte> State, ReadOnlyMemory<byte> Extra) Unpack(byte[] bytes)
    {
        if (bytes.Length < 16 || !bytes.AsSpan(bytes.Length - 8).SequenceEqual(ExtraMagic))
            return (bytes, ReadOnlyMemory<byte>.Empty);
        var tail = bytes.AsSpan(bytes.Length - 16);
        var length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(tail);
        if (length > bytes.Length - 16)
            throw new InvalidDataException("the snapshot's stream trailer is damaged (length)");
        var start = bytes.Length - 16 - (int)length;
        var extra = bytes.AsMemory(start, (int)length);
        if (Core.Journal.Crc32C.Compute(extra.Span) != System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(tail[4..]))
            throw new InvalidDataException("the snapshot's stream trailer is damaged (checksum)");
        return (bytes.AsMemory(0, start), extra);
    }

    /// <summary>The file name for the snapshot at <paramref name="index"/> taken in <paramref name="term"/>.</summary>
    public static string FileName(long index, long term) =>
        string.Create(CultureInfo.InvariantCulture, $"{index:D20}-{term}{Extension}");

    /// <summary>Every snapshot file in <paramref name="directory"/> (newest index first); other files are ignored.</summary>
    public static List<RaftSnapshot> List(string directory)
    {
        var found = new List<RaftSnapshot>();
        if (!Directory.Exists(directory))
            return found;
        foreach (var path in Directory.EnumerateFiles(directory, "*" + Extension))
        {
            var name = System.IO.Path.GetFileNameWithoutExtension(path);
            int dash = name.IndexOf('-', StringComparison.Ordinal);
            if (dash > 0
                && long.TryParse(name.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out long index)
                && long.TryParse(name.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long term))
                found.Add(new RaftSnapshot(path, index, term, new FileInfo(path).Length));
        }

        found.Sort(static (a, b) => b.Index.CompareTo(a.Index));
        return found;
    }
}
