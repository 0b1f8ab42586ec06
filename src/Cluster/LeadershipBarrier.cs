namespace Exchange.Cluster;

/// <summary>
/// The context of the empty entry a new leader appends before it sequences anything: when this node's state machine
/// applies it, every entry of earlier terms is applied before it, so the state is final for the term. The state
/// machine copies that state into <see cref="State"/> right there, on its own flow, where no entry is half applied.
/// The context never leaves the node. The entry carries the leader's <see cref="ConfigurationFingerprint"/>: every
/// node that applies it (followers, and any node replaying its log) checks it against its own configuration.
/// </summary>
internal sealed class LeadershipBarrier
{
    /// <summary>The first byte of a barrier entry. A barrier is shorter than any command record: one byte (as logs
    /// written before the fingerprint have it), or <see cref="Length"/> with the leader's configuration fingerprint.</summary>
    public const byte Marker = 0x42;

    /// <summary>The length of a barrier with a fingerprint: the marker, then the fingerprint (little-endian).</summary>
    public const int Length = 9;

    /// <summary>The barrier entry's payload for a leader whose configuration has <paramref name="fingerprint"/>.</summary>
    public static byte[] Payload(ulong fingerprint)
    {
        var payload = new byte[Length];
        payload[0] = Marker;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(1), fingerprint);
        return payload;
    }

    /// <summary>The exchange's snapshot bytes as of the barrier; set by the state machine.</summary>
    public byte[]? State { get; set; }
}
