using System.Runtime.InteropServices;

namespace Exchange.Core.Pipeline;

/// <summary>
/// The fields a <see cref="RingBuffer{T}"/> reads on every claim, publish and slot access, between 128 bytes of padding
/// on each side (as Disruptor-net's RingBufferFields): the producer and the consumers read them all the time, and an
/// object the allocator put next to the ring, such as a processor whose handler state its consumer writes per event,
/// would otherwise share their cache line, or the adjacent line a spatial prefetcher fetches with it, and take it away
/// from the other threads on every write. Not generic: the runtime refuses explicit layout on generic types, so the
/// slot array is held as <see cref="Array"/> and read back through <c>Unsafe.As</c>.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Padding + 40 + Padding)]
internal struct RingBufferFields
{
    private const int Padding = 128;

    /// <summary>The slot array, a <c>T[]</c>.</summary>
    [FieldOffset(Padding)]
    public Array Entries;

    [FieldOffset(Padding + 8)]
    public long IndexMask;

    [FieldOffset(Padding + 16)]
    public Sequencer Sequencer;

    /// <summary>Exactly one of this and <see cref="MultiProducer"/> is set.</summary>
    [FieldOffset(Padding + 24)]
    public SingleProducerSequencer? SingleProducer;

    [FieldOffset(Padding + 32)]
    public MultiProducerSequencer? MultiProducer;
}
