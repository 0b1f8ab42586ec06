using System.Numerics;

namespace Exchange.Core.Pipeline;

/// <summary>
/// Coordinates claiming and publishing slots of a ring buffer against the consumers' progress (the gating
/// sequences), so a producer never overwrites a slot a consumer has not finished with.
/// </summary>
/// <remarks>
/// Two implementations: <see cref="SingleProducerSequencer"/> and <see cref="MultiProducerSequencer"/>. The
/// ring buffer calls them through their sealed types, so the abstract members cost nothing on its hot path.
/// </remarks>
public abstract class Sequencer
{
    private readonly IWaitStrategy _waitStrategy;
    private readonly bool _isBlocking;
    private readonly object _gatingLock = new();
    private Sequence[] _gatingSequences = [];

    /// <summary>Creates a sequencer over <paramref name="bufferSize"/> slots.</summary>
    /// <param name="bufferSize">A power of two.</param>
    /// <param name="waitStrategy">The strategy the consumers wait with; told when to wake blocked consumers.</param>
    protected Sequencer(int bufferSize, IWaitStrategy waitStrategy)
    {
        ArgumentNullException.ThrowIfNull(waitStrategy);
        if (bufferSize < 1 || !BitOperations.IsPow2(bufferSize))
            ThrowHelper.BufferSizeNotPowerOfTwo(bufferSize);
        if (waitStrategy is BlockingWaitStrategy { IsDefault: true })
            ThrowHelper.DefaultBlockingWaitStrategy();

        BufferSize = bufferSize;
        _waitStrategy = waitStrategy;
        _isBlocking = waitStrategy.IsBlockingStrategy;
    }

    /// <summary>The number of slots.</summary>
    public int BufferSize { get; }

    /// <summary>
    /// The producers' cursor: the highest published sequence (single producer) or the highest claimed one
    /// (multi producer, where publication is tracked per slot).
    /// </summary>
    public Sequence Cursor { get; } = new();

    /// <summary>The wait strategy consumers of this sequencer must use (boxed once, at construction).</summary>
    public IWaitStrategy WaitStrategy => _waitStrategy;

    /// <summary>Claims the next slot, waiting while the ring is full.</summary>
    /// <returns>The claimed sequence.</returns>
    public abstract long Next();

    /// <summary>Claims the next <paramref name="n"/> slots, waiting while there is no room for them.</summary>
    /// <returns>The highest claimed sequence; the claim is <c>[result - n + 1, result]</c>.</returns>
    public abstract long Next(int n);

    /// <summary>Claims the next slot if there is room, without waiting (backpressure for the caller).</summary>
    /// <returns>False when the ring is full: a consumer has not yet finished with the slot.</returns>
    public abstract bool TryNext(out long sequence);

    /// <summary>Claims the next <paramref name="n"/> slots if there is room for all of them, without waiting.</summary>
    /// <returns>False when the ring has fewer than <paramref name="n"/> free slots.</returns>
    public abstract bool TryNext(int n, out long sequence);

    /// <summary>Makes the slot at <paramref name="sequence"/> visible to consumers.</summary>
    public abstract void Publish(long sequence);

    /// <summary>Makes the slots <c>[lo, hi]</c> visible to consumers.</summary>
    public abstract void Publish(long lo, long hi);

    /// <summary>As <see cref="Publish(long)"/>, without waking blocked consumers.</summary>
    internal abstract void PublishWithoutSignal(long sequence);

    /// <summary>Whether the slot at <paramref name="sequence"/> has been published (and not yet reused).</summary>
    public abstract bool IsAvailable(long sequence);

    /// <summary>
    /// The highest sequence from <paramref name="lowerBound"/> up to <paramref name="availableSequence"/> below which
    /// every slot is published; <c>lowerBound - 1</c> if <paramref name="lowerBound"/> itself is not.
    /// </summary>
    public abstract long GetHighestPublishedSequence(long lowerBound, long availableSequence);

    /// <summary>Whether <paramref name="requiredCapacity"/> slots could be claimed now without waiting.</summary>
    public abstract bool HasAvailableCapacity(int requiredCapacity);

    /// <summary>The number of slots that could be claimed now without waiting.</summary>
    public abstract long GetRemainingCapacity();

    /// <summary>
    /// Makes the producers wait for these consumers (normally the last of each consumer chain). Set up before
    /// publishing starts: a sequence added later starts at the current cursor.
    /// </summary>
    public void AddGatingSequences(params Sequence[] gatingSequences)
    {
        ArgumentNullException.ThrowIfNull(gatingSequences);
        lock (_gatingLock)
        {
            long cursor = Cursor.Value;
            foreach (var sequence in gatingSequences)
                sequence.SetValue(cursor);
            // Copy-on-write: producers read the array without a lock, so it is replaced, never mutated.
            Volatile.Write(ref _gatingSequences, [.. _gatingSequences, .. gatingSequences]);
        }
    }

    /// <summary>Stops gating on <paramref name="sequence"/>.</summary>
    /// <returns>Whether it was a gating sequence.</returns>
    public bool RemoveGatingSequence(Sequence sequence)
    {
        lock (_gatingLock)
        {
            var current = _gatingSequences;
            int index = Array.IndexOf(current, sequence);
            if (index < 0)
                return false;
            var next = new Sequence[current.Length - 1];
            Array.Copy(current, 0, next, 0, index);
            Array.Copy(current, index + 1, next, index, next.Length - index);
            Volatile.Write(ref _gatingSequences, next);
            return true;
        }
    }

    /// <summary>The lowest gating sequence, or the cursor when nothing gates.</summary>
    public long GetMinimumGatingSequence() => GetMinimumSequence(Volatile.Read(ref _gatingSequences), Cursor.Value);

    /// <summary>Creates a barrier for a consumer that follows the producers and, if any, <paramref name="dependentSequences"/>.</summary>
    public SequenceBarrier NewBarrier(params Sequence[] dependentSequences) => new(this, dependentSequences);

    internal long GetMinimumGatingSequence(long orDefault) =>
        GetMinimumSequence(Volatile.Read(ref _gatingSequences), orDefault);

    internal static long GetMinimumSequence(Sequence[] sequences, long orDefault)
    {
        long minimum = orDefault;
        foreach (var sequence in sequences)
        {
            long value = sequence.Value;
            if (value < minimum)
                minimum = value;
        }

        return minimum;
    }

    /// <summary>Wakes consumers blocked in a blocking wait strategy; free for the spinning ones.</summary>
    internal void SignalAllWhenBlocking()
    {
        if (_isBlocking)
            _waitStrategy.SignalAllWhenBlocking();
    }
}
