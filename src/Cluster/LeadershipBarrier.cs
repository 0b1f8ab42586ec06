namespace Exchange.Cluster;

/// <summary>
/// The context of the empty entry a new leader appends before it sequences anything: when this node's state machine
/// applies it, every entry of earlier terms is applied before it, so the state is final for the term. The state
/// machine hands over the state right there, on its own flow, where no entry is half applied: a copy in
/// <see cref="State"/>, or (with <see cref="ShareState"/>) its own exchange in <see cref="Shared"/>.
/// The context never leaves the node. The entry carries the leader's <see cref="ConfigurationFingerprint"/>: every
/// node that applies it (followers, and any node replaying its log) checks it against its own configuration.
/// </summary>
/// <param name="term">The term the barrier is appended in: a context found on an entry of another term is stale (the
/// log keeps contexts by index, and a later leader may have overwritten the entry).</param>
/// <param name="shareState">Hand the state machine's own exchange to the pipeline instead of a copy.</param>
internal sealed class LeadershipBarrier(long term, bool shareState)
{
    /// <summary>The first byte of a barrier entry. A barrier is shorter than any command record: one byte (as logs
    /// written before the fingerprint have it), or <see cref="Length"/> with the leader's configuration fingerprint.</summary>
    public const byte Marker = 0x42;

    /// <summary>The length of a barrier with a fingerprint: the marker, then the fingerprint (little-endian).</summary>
    public const int Length = 9;

    /// <summary>The length of a barrier that also proposes a session id (<see cref="ICommittedOutput.OnBarrier"/>):
    /// the marker, the fingerprint, then the proposal (little-endian).</summary>
    public const int LengthWithSession = 17;

    /// <summary>The barrier entry's payload for a leader whose configuration has <paramref name="fingerprint"/> and
    /// that proposes <paramref name="session"/> (0: none, the shorter form).</summary>
    public static byte[] Payload(ulong fingerprint, ulong session = 0)
    {
        var payload = new byte[session == 0 ? Length : LengthWithSession];
        payload[0] = Marker;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(1), fingerprint);
        if (session != 0) System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(Length), session);
        return payload;
    }

    /// <summary>The term the barrier was appended in.</summary>
    public long Term { get; } = term;

    /// <summary>Whether the pipeline runs on the state machine's own exchange.</summary>
    public bool ShareState { get; } = shareState;

    /// <summary>The exchange's snapshot bytes as of the barrier; set by the state machine (copying take-over).</summary>
    public byte[]? State { get; set; }

    /// <summary>The state machine's exchange as of the barrier; set by the state machine (sharing take-over).</summary>
    public SharedTerm? Shared { get; set; }

    /// <summary>Set when the take-over gave up: a barrier applied after it hands nothing over.</summary>
    public bool Abandoned { get; set; }
}
