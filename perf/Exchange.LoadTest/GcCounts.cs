namespace Exchange.LoadTest;

/// <summary>Garbage collections per generation, process-wide: taken before and after a measured window.</summary>
internal readonly record struct GcCounts(int Gen0, int Gen1, int Gen2)
{
    public static GcCounts Now() => new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));

    public static GcCounts operator -(GcCounts a, GcCounts b) => new(a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2);

    public bool None => Gen0 == 0 && Gen1 == 0 && Gen2 == 0;

    public override string ToString() => $"{Gen0}/{Gen1}/{Gen2}";

    /// <summary>
    /// Starts a measured window from a collected, compacted heap, so no earlier garbage is charged to it. Each gen2
    /// collection queues the runtime's own finalizer work (the array pools' trimming, `Gen2GcCallback`), which is waited
    /// for after the second collection too: it ran on the finalizer thread inside the measured window, and its tiering
    /// promotions (`SharedArrayPool.Trim`, 2-6 ms of JIT) landed in the 1M/s runs (docs/benchmarks.md).
    /// </summary>
    public static void Settle()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
    }
}
