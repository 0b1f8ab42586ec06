using System.Runtime.InteropServices;

namespace Exchange.Gateway.Metrics;

/// <summary>
/// A bounded single-producer, single-consumer queue of samples (durations in <see cref="System.Diagnostics.Stopwatch"/>
/// ticks): the hot thread hands its measurements to the metrics thread without a lock or an allocation, and never
/// waits. When the consumer falls behind and the ring is full, the sample is dropped and counted.
/// </summary>
internal sealed class SampleRing
{
    private readonly long[] _items;
    private readonly long _mask;
    private Cursor _head;
    private Cursor _tail;
    private long _dropped;

    /// <param name="capacity">A power of two.</param>
    public SampleRing(int capacity)
    {
        if (capacity < 2 || (capacity & (capacity - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "must be a power of two >= 2");
        _items = new long[capacity];
        _mask = capacity - 1;
    }

    public int Capacity => _items.Length;

    /// <summary>Samples dropped because the ring was full.</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>The producer's side: queues a sample, or drops it when the ring is full.</summary>
    public void Add(long sample)
    {
        var head = _head.Value;
        // Acquire: the consumer's reads of the slots before its tail are done before we overwrite them.
        if (head - Volatile.Read(ref _tail.Value) >= _items.Length)
        {
            Volatile.Write(ref _dropped, _dropped + 1);
            return;
        }
        _items[head & _mask] = sample;
        // Release: the slot is written before the consumer can see the new head.
        Volatile.Write(ref _head.Value, head + 1);
    }

    /// <summary>The consumer's side: hands every queued sample to <paramref name="sink"/>, oldest first; returns how many.</summary>
    public int Drain<TSink>(ref TSink sink) where TSink : struct, ISampleSink
    {
        var tail = _tail.Value;
        var head = Volatile.Read(ref _head.Value);
        for (var i = tail; i < head; i++) sink.Take(_items[i & _mask]);
        Volatile.Write(ref _tail.Value, head);
        return (int)(head - tail);
    }

    /// <summary>A cursor alone on its cache lines, so the producer's and consumer's stores do not contend.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct Cursor
    {
        [FieldOffset(64)] public long Value;
    }
}

/// <summary>Where <see cref="SampleRing.Drain"/> puts the samples.</summary>
internal interface ISampleSink
{
    void Take(long sample);
}
