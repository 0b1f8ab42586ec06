namespace Exchange.Cluster;

/// <summary>
/// The context of the empty entry a new leader appends before it sequences anything: when this node's state machine
/// applies it, every entry of earlier terms is applied before it, so the state is final for the term. The state
/// machine copies that state into <see cref="State"/> right there, on its own flow, where no entry is half applied.
/// The context never leaves the node; followers apply the entry as an empty one.
/// </summary>
internal sealed class LeadershipBarrier
{
    /// <summary>The barrier entry's payload: one byte, shorter than any command record. (The log does not hand an
    /// entry without payload to the state machine, so the barrier carries one.)</summary>
    public static readonly byte[] Marker = [0x42];

    /// <summary>The exchange's snapshot bytes as of the barrier; set by the state machine.</summary>
    public byte[]? State { get; set; }
}
