namespace Exchange.Core.Pipeline;

/// <summary>
/// One slot of a <see cref="RingBuffer{T}"/>: the value and, for a single producer, the sequence last published in
/// it. A consumer that follows the producer directly reads <see cref="Published"/> instead of the producer's cursor
/// (<see cref="SequenceBarrier.Poll"/>): the flag is on the cache line the consumer reads for the value anyway, while
/// the cursor's line is written on every publish, and a consumer polling it takes it away from the producer each time.
/// </summary>
/// <remarks>
/// A sequence, not a bit: a value from an earlier lap never equals the sequence the consumer asks for, so nothing
/// has to reset the flag when the consumer is done with the slot. Initially -1 (no sequence).
/// </remarks>
internal struct RingSlot<T>
    where T : struct
{
    public T Value;

    /// <summary>The sequence last published in this slot (single producer only), written with release semantics after
    /// <see cref="Value"/>.</summary>
    public long Published;
}
