using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Exchange.Core.Pipeline;

/// <summary>
/// A sequencer for exactly one publishing thread: claiming is a plain increment of a field only that thread
/// touches, and the consumers' progress is read only when the cached minimum says the ring might be full.
/// Calling it from two threads at once corrupts the ring; use <see cref="MultiProducerSequencer"/> for that.
/// </summary>
/// <remarks>A producer must publish what it claimed before claiming again.</remarks>
public sealed class SingleProducerSequencer : Sequencer
{
    private ProducerFields _fields;

    /// <summary>Creates a single-producer sequencer.</summary>
    /// <param name="bufferSize">A power of two.</param>
    /// <param name="waitStrategy">The strategy the consumers wait with.</param>
    public SingleProducerSequencer(int bufferSize, IWaitStrategy waitStrategy)
        : base(bufferSize, waitStrategy)
    {
        _fields.NextValue = Sequence.InitialValue;
        _fields.CachedGatingValue = Sequence.InitialValue;
    }

    /// <inheritdoc />
    public override long Next() => Next(1);

    /// <inheritdoc />
    public override long Next(int n)
    {
        if ((uint)(n - 1) >= (uint)BufferSize)
            ThrowHelper.ClaimSizeOutOfRange(n, BufferSize);

        long current = _fields.NextValue;
        long next = current + n;
        // The slot we are about to reuse was last used one lap ago; it is free once every consumer passed it.
        long wrapPoint = next - BufferSize;
        if (wrapPoint > _fields.CachedGatingValue)
            WaitForCapacity(wrapPoint, current);

        _fields.NextValue = next;
        return next;
    }

    /// <inheritdoc />
    public override bool TryNext(out long sequence) => TryNext(1, out sequence);

    /// <inheritdoc />
    public override bool TryNext(int n, out long sequence)
    {
        if ((uint)(n - 1) >= (uint)BufferSize)
            ThrowHelper.ClaimSizeOutOfRange(n, BufferSize);

        long current = _fields.NextValue;
        long next = current + n;
        long wrapPoint = next - BufferSize;
        if (wrapPoint > _fields.CachedGatingValue && !RefreshCapacity(wrapPoint, current))
        {
            sequence = default;
            return false;
        }

        _fields.NextValue = next;
        sequence = next;
        return true;
    }

    /// <inheritdoc />
    public override void Publish(long sequence)
    {
        // Release store: the consumer that reads this cursor value also sees the slot written before it.
        Cursor.SetValue(sequence);
        SignalAllWhenBlocking();
    }

    /// <inheritdoc />
    public override void Publish(long lo, long hi) => Publish(hi);

    /// <inheritdoc />
    internal override void PublishWithoutSignal(long sequence) => Cursor.SetValue(sequence);

    /// <inheritdoc />
    public override bool IsAvailable(long sequence)
    {
        long cursor = Cursor.Value;
        return sequence <= cursor && sequence > cursor - BufferSize;
    }

    /// <inheritdoc />
    public override long GetHighestPublishedSequence(long lowerBound, long availableSequence) => availableSequence;

    /// <inheritdoc />
    public override bool HasAvailableCapacity(int requiredCapacity)
    {
        long current = _fields.NextValue;
        long wrapPoint = current + requiredCapacity - BufferSize;
        return wrapPoint <= _fields.CachedGatingValue || RefreshCapacity(wrapPoint, current);
    }

    /// <inheritdoc />
    public override long GetRemainingCapacity()
    {
        long next = _fields.NextValue;
        long consumed = GetMinimumGatingSequence(next);
        return BufferSize - (next - consumed);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool RefreshCapacity(long wrapPoint, long current)
    {
        // StoreLoad fence: our last cursor store must be visible before we read the consumers' progress, or a
        // consumer waiting on that store and a producer waiting on that consumer could each see stale values.
        Interlocked.MemoryBarrier();
        long minimum = GetMinimumGatingSequence(current);
        _fields.CachedGatingValue = minimum;
        return wrapPoint <= minimum;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WaitForCapacity(long wrapPoint, long current)
    {
        // No Sleep(1): a full ring usually drains within microseconds, and a millisecond nap would stall the producer.
        var spin = new SpinWait();
        while (!RefreshCapacity(wrapPoint, current))
            spin.SpinOnce(sleep1Threshold: -1);
    }

    /// <summary>
    /// The producer-only fields, padded so that writes to them never invalidate a cache line holding the
    /// sequencer's read-mostly fields or a neighbouring object.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct ProducerFields
    {
        /// <summary>The highest claimed sequence.</summary>
        [FieldOffset(56)]
        public long NextValue;

        /// <summary>The consumers' minimum as last read: saves reading their sequences on every claim.</summary>
        [FieldOffset(64)]
        public long CachedGatingValue;
    }
}
