using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Exchange.Core;

/// <summary>
/// Software prefetch of the cache lines a command is about to read. An account a command touches is a random one
/// among thousands, cold in cache, and its record, margin sums, position and the side arrays of the liquidation index
/// and the account reports sit in different arrays: read one after another, each miss waits for the one before (the
/// profile of an IOC put a fifth of its samples on such loads, docs/benchmarks.md). Prefetching them together where
/// the account becomes known lets the misses overlap. A prefetch is a hint: it never faults, changes no state and
/// costs a few cycles when the line is already there; on a processor without the instruction it is nothing.
/// </summary>
internal static class CacheLines
{
    /// <summary>Prefetches the line holding the start of <paramref name="at"/> and, for a struct larger than 8 bytes,
    /// the line holding its last byte (such a struct in an array may straddle two lines; a long, int or bool in an
    /// array never does).
    /// The address is only a hint: if a collection moves the array meanwhile, the hint is wasted, nothing else.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch<T>(ref T at) where T : struct
    {
        if (!Sse.IsSupported) return;
        var p = (byte*)Unsafe.AsPointer(ref at);
        Sse.Prefetch0(p);
        if (Unsafe.SizeOf<T>() > 8) Sse.Prefetch0(p + Unsafe.SizeOf<T>() - 1);
    }
}
