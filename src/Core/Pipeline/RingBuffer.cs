using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Exchange.Core.Pipeline;

/// <summary>
/// A preallocated ring of struct slots in the Disruptor pattern. A producer claims a sequence
/// (<see cref="Next()"/> or <see cref="TryNext(out long)"/>), writes the slot in place through
/// <see cref="this[long]"/> and <see cref="Publish(long)"/>es it; consumers read slots in sequence order behind a
/// <see cref="SequenceBarrier"/>. Nothing is allocated per event.
/// </summary>
/// <typeparam name="T">The slot type, copied into and read in place.</typeparam>
public sealed class RingBuffer<T>
    where T : struct
{
    // Unused slots before the first and after the last keep the live slots off cache lines shared with the array
    // header (read on every access) or with whatever object the allocator put next to the array.
    private static readonly int SlotPadding = Math.Max(1, 128 / Unsafe.SizeOf<T>());

    // Exactly one of the sequencers in the fields is set: calls through the sealed type are direct and inlinable,
    // where a call through the abstract Sequencer would be a virtual call per claim and publish.
    private readonly RingBufferFields _fields;

    private RingBuffer(Sequencer sequencer)
    {
        _fields.Sequencer = sequencer;
        _fields.SingleProducer = sequencer as SingleProducerSequencer;
        _fields.MultiProducer = sequencer as MultiProducerSequencer;
        _fields.IndexMask = sequencer.BufferSize - 1;
        var entries = new T[sequencer.BufferSize + 2 * SlotPadding];
        _fields.Entries = entries;
        // Writes every page now, on the constructing thread. A large array is fresh memory that the OS maps page by
        // page on its first write; left to the ring's first lap, those page faults land on the producer and the
        // consumers, a few slots apart. For the output ring (16k slots of ~0.9 KB) that was ~3,600 faults on the
        // business-logic thread at 10-20 µs each on the loaded test VM: the 40-70 ms stall at the start of every
        // 1M/s pipeline run (docs/benchmarks.md, "The 1M/s early stall").
        Array.Clear(entries);
    }

    /// <summary>Creates a ring buffer for one publishing thread.</summary>
    /// <param name="bufferSize">The number of slots, a power of two.</param>
    /// <param name="waitStrategy">How consumers wait; their processors must use the same strategy type.</param>
    public static RingBuffer<T> CreateSingleProducer(int bufferSize, IWaitStrategy waitStrategy) =>
        new(new SingleProducerSequencer(bufferSize, waitStrategy));

    /// <summary>Creates a ring buffer that several threads may publish to concurrently.</summary>
    /// <param name="bufferSize">The number of slots, a power of two.</param>
    /// <param name="waitStrategy">How consumers wait; their processors must use the same strategy type.</param>
    public static RingBuffer<T> CreateMultiProducer(int bufferSize, IWaitStrategy waitStrategy) =>
        new(new MultiProducerSequencer(bufferSize, waitStrategy));

    /// <summary>Creates a ring buffer for <paramref name="producerType"/>.</summary>
    public static RingBuffer<T> Create(ProducerType producerType, int bufferSize, IWaitStrategy waitStrategy) =>
        producerType == ProducerType.Single
            ? CreateSingleProducer(bufferSize, waitStrategy)
            : CreateMultiProducer(bufferSize, waitStrategy);

    /// <summary>The number of slots.</summary>
    public int BufferSize => _fields.Sequencer.BufferSize;

    /// <summary>The producers' cursor value (see <see cref="Sequencer.Cursor"/>).</summary>
    public long Cursor => _fields.Sequencer.Cursor.Value;

    /// <summary>The sequencer coordinating this ring's producers and consumers.</summary>
    public Sequencer Sequencer => _fields.Sequencer;

    /// <summary>The slot for <paramref name="sequence"/>, by reference; it is reused every <see cref="BufferSize"/> sequences.</summary>
    public ref T this[long sequence]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        // The mask keeps the index inside the array, so the bounds check is redundant.
        get => ref Unsafe.Add(
            ref MemoryMarshal.GetArrayDataReference(Unsafe.As<T[]>(_fields.Entries)), (nint)(sequence & _fields.IndexMask) + SlotPadding);
    }

    /// <summary>Claims the next slot, waiting while the ring is full.</summary>
    public long Next() => _fields.SingleProducer is not null ? _fields.SingleProducer.Next() : _fields.MultiProducer!.Next();

    /// <summary>Claims the next <paramref name="n"/> slots, waiting while there is no room.</summary>
    /// <returns>The highest claimed sequence; the claim is <c>[result - n + 1, result]</c>.</returns>
    public long Next(int n) => _fields.SingleProducer is not null ? _fields.SingleProducer.Next(n) : _fields.MultiProducer!.Next(n);

    /// <summary>Claims the next slot if the ring is not full.</summary>
    /// <returns>False when full (backpressure): no slot is claimed and nothing must be published.</returns>
    public bool TryNext(out long sequence) =>
        _fields.SingleProducer is not null ? _fields.SingleProducer.TryNext(out sequence) : _fields.MultiProducer!.TryNext(out sequence);

    /// <summary>Claims the next <paramref name="n"/> slots if there is room for all of them.</summary>
    /// <returns>False when there is not: nothing is claimed.</returns>
    public bool TryNext(int n, out long sequence) =>
        _fields.SingleProducer is not null ? _fields.SingleProducer.TryNext(n, out sequence) : _fields.MultiProducer!.TryNext(n, out sequence);

    /// <summary>Publishes the slot at <paramref name="sequence"/>, once written.</summary>
    public void Publish(long sequence)
    {
        if (_fields.SingleProducer is not null)
            _fields.SingleProducer.Publish(sequence);
        else
            _fields.MultiProducer!.Publish(sequence);
    }

    /// <summary>Publishes the slot at <paramref name="sequence"/>, once written, without waking a blocked consumer: for a
    /// producer that then runs the consumer itself (<see cref="InlineRunProcessor{THandler, TWait}"/>).</summary>
    internal void PublishWithoutSignal(long sequence) => _fields.Sequencer.PublishWithoutSignal(sequence);

    /// <summary>Publishes the slots <c>[lo, hi]</c>, once written.</summary>
    public void Publish(long lo, long hi)
    {
        if (_fields.SingleProducer is not null)
            _fields.SingleProducer.Publish(lo, hi);
        else
            _fields.MultiProducer!.Publish(lo, hi);
    }

    /// <summary>Whether the slot at <paramref name="sequence"/> is published (and not yet reused).</summary>
    public bool IsAvailable(long sequence) => _fields.Sequencer.IsAvailable(sequence);

    /// <summary>Whether <paramref name="requiredCapacity"/> slots could be claimed now without waiting.</summary>
    public bool HasAvailableCapacity(int requiredCapacity) => _fields.Sequencer.HasAvailableCapacity(requiredCapacity);

    /// <summary>The number of slots that could be claimed now without waiting.</summary>
    public long GetRemainingCapacity() => _fields.Sequencer.GetRemainingCapacity();

    /// <summary>Makes producers wait for these consumers; see <see cref="Sequencer.AddGatingSequences"/>.</summary>
    public void AddGatingSequences(params Sequence[] gatingSequences) => _fields.Sequencer.AddGatingSequences(gatingSequences);

    /// <summary>Stops gating on <paramref name="sequence"/>.</summary>
    public bool RemoveGatingSequence(Sequence sequence) => _fields.Sequencer.RemoveGatingSequence(sequence);

    /// <summary>The lowest gating sequence, or the cursor when nothing gates.</summary>
    public long GetMinimumGatingSequence() => _fields.Sequencer.GetMinimumGatingSequence();

    /// <summary>Creates a barrier for a consumer following the producers and <paramref name="dependentSequences"/>.</summary>
    public SequenceBarrier NewBarrier(params Sequence[] dependentSequences) => _fields.Sequencer.NewBarrier(dependentSequences);

    /// <summary>A copy of the wait strategy, sharing any state (a monitor) with the producers' copy.</summary>
    internal TWait GetWaitStrategy<TWait>()
        where TWait : struct, IWaitStrategy
    {
        if (_fields.Sequencer.WaitStrategy is not TWait waitStrategy)
        {
            ThrowHelper.WaitStrategyMismatch(typeof(TWait), _fields.Sequencer.WaitStrategy.GetType());
            return default;
        }

        return waitStrategy;
    }
}
