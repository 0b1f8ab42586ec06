using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Exchange.Core.Pipeline;

/// <summary>
/// A sequencer for any number of publishing threads (the gateway's I/O threads). Claims race on the cursor with
/// a compare-and-set; since claims can be published out of order, each slot has an availability flag, and
/// consumers read up to the first slot not yet published.
/// </summary>
public sealed class MultiProducerSequencer : Sequencer
{
    // The consumers' minimum as last read, shared by the producers so most claims skip reading every consumer.
    private readonly Sequence _gatingSequenceCache = new();

    // Per slot, the lap (sequence / bufferSize) it was last published in. A lap number rather than a flag,
    // so nothing has to reset it when a consumer is done and a stale value from the previous lap never matches.
    private readonly int[] _availableBuffer;
    private readonly int _indexMask;
    private readonly int _indexShift;

    /// <summary>Creates a multi-producer sequencer.</summary>
    /// <param name="bufferSize">A power of two.</param>
    /// <param name="waitStrategy">The strategy the consumers wait with.</param>
    public MultiProducerSequencer(int bufferSize, IWaitStrategy waitStrategy)
        : base(bufferSize, waitStrategy)
    {
        _availableBuffer = new int[bufferSize];
        _availableBuffer.AsSpan().Fill(-1);
        _indexMask = bufferSize - 1;
        _indexShift = BitOperations.Log2((uint)bufferSize);
    }

    /// <inheritdoc />
    public override long Next() => Next(1);

    /// <inheritdoc />
    public override long Next(int n)
    {
        if ((uint)(n - 1) >= (uint)BufferSize)
            ThrowHelper.ClaimSizeOutOfRange(n, BufferSize);

        while (true)
        {
            long current = Cursor.Value;
            long next = current + n;
            long wrapPoint = next - BufferSize;
            long cachedGating = _gatingSequenceCache.Value;
            // A cache above our cursor read was written by a producer that saw a later cursor: ours is stale.
            if (wrapPoint > cachedGating || cachedGating > current)
                WaitForCapacity(wrapPoint, current);
            else if (Cursor.CompareAndSet(current, next))
                return next;
        }
    }

    /// <inheritdoc />
    public override bool TryNext(out long sequence) => TryNext(1, out sequence);

    /// <inheritdoc />
    public override bool TryNext(int n, out long sequence)
    {
        if ((uint)(n - 1) >= (uint)BufferSize)
            ThrowHelper.ClaimSizeOutOfRange(n, BufferSize);

        while (true)
        {
            long current = Cursor.Value;
            long next = current + n;
            if (!HasAvailableCapacity(n, current))
            {
                sequence = default;
                return false;
            }

            if (Cursor.CompareAndSet(current, next))
            {
                sequence = next;
                return true;
            }
        }
    }

    /// <inheritdoc />
    public override void Publish(long sequence)
    {
        SetAvailable(sequence);
        SignalAllWhenBlocking();
    }

    /// <inheritdoc />
    internal override void PublishWithoutSignal(long sequence) => SetAvailable(sequence);

    /// <inheritdoc />
    public override void Publish(long lo, long hi)
    {
        for (long sequence = lo; sequence <= hi; sequence++)
            SetAvailable(sequence);
        SignalAllWhenBlocking();
    }

    /// <inheritdoc />
    public override bool IsAvailable(long sequence) =>
        Volatile.Read(ref AvailabilityFlag(sequence)) == (int)(sequence >>> _indexShift);

    /// <inheritdoc />
    public override long GetHighestPublishedSequence(long lowerBound, long availableSequence)
    {
        for (long sequence = lowerBound; sequence <= availableSequence; sequence++)
        {
            if (!IsAvailable(sequence))
                return sequence - 1;
        }

        return availableSequence;
    }

    /// <inheritdoc />
    public override bool HasAvailableCapacity(int requiredCapacity) =>
        HasAvailableCapacity(requiredCapacity, Cursor.Value);

    /// <inheritdoc />
    public override long GetRemainingCapacity()
    {
        long produced = Cursor.Value;
        long consumed = GetMinimumGatingSequence(produced);
        return BufferSize - (produced - consumed);
    }

    private bool HasAvailableCapacity(int requiredCapacity, long cursor)
    {
        long wrapPoint = cursor + requiredCapacity - BufferSize;
        long cachedGating = _gatingSequenceCache.Value;
        if (wrapPoint <= cachedGating && cachedGating <= cursor)
            return true;

        long minimum = GetMinimumGatingSequence(cursor);
        _gatingSequenceCache.SetValue(minimum);
        return wrapPoint <= minimum;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WaitForCapacity(long wrapPoint, long current)
    {
        var spin = new SpinWait();
        long minimum;
        while (wrapPoint > (minimum = GetMinimumGatingSequence(current)))
            spin.SpinOnce(sleep1Threshold: -1);
        _gatingSequenceCache.SetValue(minimum);
    }

    private void SetAvailable(long sequence) =>
        // Release store: a consumer that sees this lap number also sees the slot contents written before it.
        Volatile.Write(ref AvailabilityFlag(sequence), (int)(sequence >>> _indexShift));

    private ref int AvailabilityFlag(long sequence) =>
        // The mask keeps the index inside the array, so the bounds check is redundant.
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_availableBuffer), (int)sequence & _indexMask);
}
