namespace Exchange.Core.Journal;

/// <summary>
/// Where <see cref="SnapshotCodec.Write(Exchange, SnapshotBuffer)"/> serializes, kept by its owner between snapshots:
/// the bytes, the scratch that ranks the resting orders, and the captured raw state they are written from. Both grow to the largest state written and are then
/// reused, so a pipeline that snapshots every N commands allocates no large object per snapshot (which would charge the
/// large-object heap and bring gen2 collections under sustained load). One writer at a time.
/// </summary>
public sealed class SnapshotBuffer
{
    internal readonly MemoryStream Stream = new();
    internal int[] Ranks = [];
    // The raw state the bytes are serialized from (SnapshotCodec.Write(Exchange, SnapshotBuffer) captures into it).
    internal readonly SnapshotImage Image = new();

    /// <summary>The last snapshot written.</summary>
    public ReadOnlySpan<byte> Written => Stream.GetBuffer().AsSpan(0, (int)Stream.Length);

    /// <summary>Bytes held: the serialized state's room, the rank scratch and the captured image.</summary>
    public long Capacity => Stream.Capacity + 4L * Ranks.Length + Image.Capacity;
}
