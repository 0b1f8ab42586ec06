using System.Globalization;
using System.Runtime.InteropServices;

namespace Exchange.Core.Pipeline;

/// <summary>
/// A position in a ring buffer (a producer's cursor or a consumer's progress), shared between threads.
/// </summary>
/// <remarks>
/// The value sits between 56 bytes of padding on each side, so no other hot field can share its 64-byte cache
/// line: without it, a producer writing its cursor and a consumer writing its sequence would keep stealing the
/// same line from each other (false sharing). The runtime ignores <see cref="StructLayoutAttribute.Size"/> on
/// classes, so the trailing padding is held by an explicit field at its end.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Padding + sizeof(long) + Padding)]
public sealed class Sequence
{
    /// <summary>Where every sequence starts: nothing claimed, published or consumed yet.</summary>
    public const long InitialValue = -1;

    private const int Padding = 56;

    [FieldOffset(Padding)]
    private long _value;

#pragma warning disable CS0169 // Never read or written: it only reserves the last 8 bytes of the trailing padding.
    [FieldOffset(Padding + sizeof(long) + Padding - sizeof(long))]
    private readonly long _trailingPadding;
#pragma warning restore CS0169

    /// <summary>Creates a sequence at <paramref name="initialValue"/>.</summary>
    public Sequence(long initialValue = InitialValue) => _value = initialValue;

    /// <summary>
    /// The current value. An acquire read: whatever the writer stored before its <see cref="SetValue"/> (the
    /// slot contents) is visible once this read returns the new value.
    /// </summary>
    public long Value => Volatile.Read(ref _value);

    /// <summary>
    /// Stores <paramref name="value"/> with release semantics: earlier writes (the slot contents) cannot be
    /// reordered after it. No StoreLoad fence, so on x64 this is a plain store, which is why publication is cheap.
    /// </summary>
    public void SetValue(long value) => Volatile.Write(ref _value, value);

    /// <summary>
    /// Stores <paramref name="value"/> and then issues a full fence, for the rare place where a following read
    /// must not be satisfied before this store is visible to other cores.
    /// </summary>
    public void SetValueVolatile(long value)
    {
        Volatile.Write(ref _value, value);
        Interlocked.MemoryBarrier();
    }

    /// <summary>Atomically sets the value to <paramref name="value"/> if it is <paramref name="expected"/>.</summary>
    /// <returns>Whether the swap happened.</returns>
    public bool CompareAndSet(long expected, long value) =>
        Interlocked.CompareExchange(ref _value, value, expected) == expected;

    /// <summary>Atomically adds one and returns the new value.</summary>
    public long IncrementAndGet() => Interlocked.Increment(ref _value);

    /// <summary>Atomically adds <paramref name="increment"/> and returns the new value.</summary>
    public long AddAndGet(long increment) => Interlocked.Add(ref _value, increment);

    /// <inheritdoc />
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}
