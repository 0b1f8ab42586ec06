using System.Diagnostics;
using System.Runtime.CompilerServices;
using HdrHistogram;

namespace Exchange.LoadTest;

/// <summary>
/// The machine's stalls during a run, as jHiccup measures them: a thread asks to sleep 1 ms again and again and
/// records how much later than that it woke, corrected for coordinated omission (a 30 ms stall also stands for the
/// 29 wake-ups it swallowed). Its percentiles are percentiles of time, like a paced run's, so the two compare
/// directly: a pipeline whose p99 is close to the meter's adds little to what the scheduler and the machine impose
/// on any thread in the same minutes. It costs a wake-up per millisecond, not a core.
/// </summary>
/// <remarks>
/// The <c>runnable</c> meter (<c>--busy-meter</c>) is a second, independent one that waits as a pipeline stage with
/// nothing to do waits: it reads the clock and calls <see cref="Thread.Yield"/> in a loop, so it is always runnable,
/// and it records, for each millisecond, the longest gap between two of its clock reads (the longest time it was kept
/// off a CPU), corrected for coordinated omission the same way. A sleeping thread that wakes is usually put on a CPU
/// at once (the scheduler owes it the time it slept); an always-runnable one that loses its CPU waits for a slice.
/// It takes a share of the CPUs like any busy thread, so it is a diagnostic, not on by default.
/// </remarks>
internal sealed class HiccupMeter : IDisposable
{
    private const long IntervalNs = 1_000_000;
    private readonly Thread _thread;
    private volatile bool _stop;

    public LongHistogram Stalls { get; } = HistogramFiles.NewNanoseconds();

    /// <summary>What the scheduler did to the meter's thread while it measured.</summary>
    public SchedStat Sched { get; private set; }

    public bool Runnable { get; }

    public HiccupMeter(bool runnable = false)
    {
        Runnable = runnable;
        _thread = runnable
            ? new Thread(RunRunnable) { IsBackground = true, Name = "hiccup meter (runnable)" }
            : new Thread(Run) { IsBackground = true, Name = "hiccup meter (sleeping)" };
        _thread.Start();
    }

    // Both loops: fully optimized at the first call and never compiled again. Tiering compiled this one during a
    // measured run (3.6 ms on the background compiler, --jit-names, docs/benchmarks.md): the instrument taking a CPU.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Run()
    {
        var toNs = 1e9 / Stopwatch.Frequency;
        var sched = SchedStat.Self();
        var last = Stopwatch.GetTimestamp();
        while (!_stop)
        {
            Thread.Sleep(1);
            var now = Stopwatch.GetTimestamp();
            var late = Math.Max(0, (long)((now - last) * toNs) - IntervalNs);
            last = now;
            Stalls.RecordValueWithExpectedInterval(late, IntervalNs);
        }
        Sched = SchedStat.Self() - sched;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunRunnable()
    {
        var toNs = 1e9 / Stopwatch.Frequency;
        var interval = Stopwatch.Frequency / 1000;
        var sched = SchedStat.Self();
        var last = Stopwatch.GetTimestamp();
        var end = last + interval;
        long worst = 0;
        while (!_stop)
        {
            Thread.Yield();
            var now = Stopwatch.GetTimestamp();
            worst = Math.Max(worst, (long)((now - last) * toNs));
            last = now;
            if (now < end) continue;
            Stalls.RecordValueWithExpectedInterval(worst, IntervalNs);
            worst = 0;
            end = now + interval;
        }
        Sched = SchedStat.Self() - sched;
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }
}
