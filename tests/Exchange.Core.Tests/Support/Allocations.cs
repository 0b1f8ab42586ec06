namespace Exchange.Core.Tests.Support;

/// <summary>Measures heap allocation of a warmed-up piece of work on the current thread.</summary>
internal static class Allocations
{
    /// <summary>
    /// The fewest bytes <paramref name="body"/> allocated over a few runs. A steady-state allocation shows in every
    /// run; a one-off from the runtime (tiered JIT re-compiling a method mid-run) does not repeat, so it is not
    /// reported as the code's.
    /// </summary>
    public static long Fewest(Action body, int runs = 3)
    {
        var fewest = long.MaxValue;
        for (var i = 0; i < runs && fewest != 0; i++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            body();
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return fewest;
    }
}
