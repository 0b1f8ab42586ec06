using System.Diagnostics;
using HdrHistogram;

namespace Exchange.LoadTest;

/// <summary>
/// The machine's stalls during a run, as jHiccup measures them: a thread asks to sleep 1 ms again and again and
/// records how much later than that it woke, corrected for coordinated omission (a 30 ms stall also stands for the
/// 29 wake-ups it swallowed). Its percentiles are percentiles of time, like a paced run's, so the two compare
/// directly: a pipeline whose p99 is close to the meter's adds little to what the scheduler and the machine impose
/// on any thread in the same minutes. It costs a wake-up per millisecond, not a core.
/// </summary>
internal sealed class HiccupMeter : IDisposable
{
    private const long IntervalNs = 1_000_000;
    private readonly Thread _thread;
    private volatile bool _stop;

    public LongHistogram Stalls { get; } = HistogramFiles.NewNanoseconds();

    public HiccupMeter()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "hiccup meter (sleeping)" };
        _thread.Start();
    }

    private void Run()
    {
        var toNs = 1e9 / Stopwatch.Frequency;
        var last = Stopwatch.GetTimestamp();
        while (!_stop)
        {
            Thread.Sleep(1);
            var now = Stopwatch.GetTimestamp();
            var late = Math.Max(0, (long)((now - last) * toNs) - IntervalNs);
            last = now;
            Stalls.RecordValueWithExpectedInterval(late, IntervalNs);
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }
}
