using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Exchange.Core.Pipeline;

/// <summary>
/// A non-generic view of a single-producer ring's per-slot publication flags (<see cref="RingSlot{T}.Published"/>),
/// for the <see cref="SequenceBarrier"/> of a consumer that follows the producer directly. The barrier is not generic,
/// so it reads a flag at its byte offset in the slot array.
/// </summary>
internal readonly struct SlotFlags(Array slots, int stride, int firstFlagOffset, long indexMask)
{
    /// <summary>The slot array; null when the barrier polls the cursor or its dependents instead.</summary>
    public Array? Slots { get; } = slots;

    /// <summary>Whether <paramref name="sequence"/> is published: its slot's flag holds exactly it (an acquire read, so
    /// the slot's value written before the flag is visible after).</summary>
    /// <remarks>The flag of slot index i is at byte <c>firstFlagOffset + i * stride</c> of the array's data.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsPublished(long sequence)
    {
        nint offset = (nint)(sequence & indexMask) * stride + firstFlagOffset;
        ref byte flag = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Slots!), offset);
        return Volatile.Read(ref Unsafe.As<byte, long>(ref flag)) == sequence;
    }
}
