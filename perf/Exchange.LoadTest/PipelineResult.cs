using HdrHistogram;

namespace Exchange.LoadTest;

/// <summary>The outcome of one pipeline run at one rate.</summary>
internal sealed record PipelineResult(
    long Rate, int Commands, double Achieved, LongHistogram Latency, GcCounts Gcs, long RingFull, string Verdict)
{
    /// <summary>The queries' latency, from planned send time to answer, when queries ran (--late-joiners, --account-queries).</summary>
    public LongHistogram? QueryLatency { get; init; }

    /// <summary>The machine's stalls during the run (<see cref="HiccupMeter"/>), for paced runs.</summary>
    public LongHistogram? Stalls { get; init; }

    /// <summary>The second, always-runnable meter's stalls (<c>--busy-meter</c>), when it ran.</summary>
    public LongHistogram? RunnableStalls { get; init; }

    /// <summary>Per thread (pipeline stages, producer, meters): what the scheduler did to it during the run.</summary>
    public IReadOnlyDictionary<string, SchedStat> Sched { get; init; } = new Dictionary<string, SchedStat>();

    /// <summary>Methods the JIT compiled (any tier) during the run, and the time it spent on them (any thread).</summary>
    public (long Methods, TimeSpan Time) Jit { get; init; }

    /// <summary>With <c>--jit-names</c>: the methods compiled during the run (name, flags, thread); else empty.</summary>
    public IReadOnlyList<string> JitNames { get; init; } = [];

    /// <summary>From the plan's start to the last delivery.</summary>
    public double Seconds { get; init; }

    /// <summary>The 10 ms windows of the run whose worst command waited over 5 ms (ms from the start, that wait).</summary>
    public IReadOnlyList<(long AtMs, long WorstNs)> SlowWindows { get; init; } = [];

    /// <summary>The first milliseconds of the run, sampled (<c>--timeline</c>), as a table; null when not asked for.</summary>
    public string? Timeline { get; init; }

    /// <summary>Kept up: delivered at >= 98% of the rate (a pipeline that cannot keep up delivers at its capacity).</summary>
    public bool KeptUp => Achieved >= 0.98 * Rate;

    /// <summary>Latency stayed bounded: p99 under 1 ms (no queue built up for long).</summary>
    public bool Bounded => Latency.GetValueAtPercentile(99) < 1_000_000;
}
