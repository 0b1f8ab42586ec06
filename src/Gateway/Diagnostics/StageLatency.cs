using System.Diagnostics;
using HdrHistogram;

namespace Exchange.Gateway.Diagnostics;

/// <summary>
/// Where an order's time goes inside the gateway, for latency work: with <c>EXCHANGE_STAGE_LATENCY=1</c> in the
/// server's environment, each stage's durations go into a histogram, and every 3 seconds one line per stage
/// (p50 / p90 / p99 / max since the last report) goes to stderr, prefixed <c>stage-latency</c>. Off, every
/// <see cref="Record"/> is one test of a static read-only flag that the JIT folds away.
/// </summary>
/// <remarks>
/// How it was used, and what it found: docs/benchmarks.md, section "TCP end to end". Recording takes a lock, so
/// switch it on to find where time goes, not to measure the best case.
/// </remarks>
internal static class StageLatency
{
    /// <summary>Whether stage latencies are recorded (read once, at start-up).</summary>
    public static readonly bool On = Environment.GetEnvironmentVariable("EXCHANGE_STAGE_LATENCY") == "1";

    /// <summary>The clock reading when the current receive loop's read returned (set on the session's thread).</summary>
    [ThreadStatic] public static long ReadAt;

    private static readonly string[] Names =
    [
        "read->published",    // the read returned -> the command is in the input ring (decode, checks, token rules)
        "published->output",  // in the ring -> the output handler starts on it (waiting, journal, business logic)
        "output->notified",   // the output handler's routing of the command's events into the users' logs
        "notified->sender",   // a log grew -> its connection's sender runs (the wake-up of the sender task)
        "sender flush",       // the sender's FlushAsync (with inline I/O, the send itself)
        "published->sent",    // per command: in the ring -> the end of its output batch's sends (its whole stay after the read)
    ];

    private static readonly LongHistogram[] Histograms = Names.Select(_ => new LongHistogram(TimeStamp.Seconds(10), 3)).ToArray();
    private static readonly Lock Gate = new();
    private static Timer? _timer;
    private static long _outputThreadAllocated;
    private static long _reportedOutputThreadAllocated;
    private static long _reportedProcessAllocated;

    public const int Published = 0, Output = 1, Routed = 2, SenderWoken = 3, Flushed = 4, Sent = 5;

    /// <summary>Records the time from <paramref name="fromTicks"/> (a <see cref="Stopwatch"/> reading) to now.</summary>
    public static void Record(int stage, long fromTicks)
    {
        if (!On || fromTicks == 0) return;
        var ns = (Stopwatch.GetTimestamp() - fromTicks) * 1_000_000_000 / Stopwatch.Frequency;
        lock (Gate) Histograms[stage].RecordValue(Math.Clamp(ns, 0, TimeStamp.Seconds(10)));
    }

    /// <summary>
    /// Called by the output thread at the end of each batch: its own allocated bytes so far, so the report can say
    /// how much of the process's allocation is the output path's.
    /// </summary>
    public static void OutputThreadAllocated()
    {
        if (On) Volatile.Write(ref _outputThreadAllocated, GC.GetAllocatedBytesForCurrentThread());
    }

    /// <summary>Starts the periodic report, when recording is on.</summary>
    public static void Start()
    {
        if (On) _timer ??= new Timer(_ => Report(), null, 3000, 3000);
    }

    private static void Report()
    {
        lock (Gate)
        {
            for (var i = 0; i < Names.Length; i++)
            {
                var h = Histograms[i];
                if (h.TotalCount == 0) continue;
                Console.Error.WriteLine(
                    $"stage-latency {Names[i],-18} n={h.TotalCount,9} p50={Us(h.GetValueAtPercentile(50))} " +
                    $"p90={Us(h.GetValueAtPercentile(90))} p99={Us(h.GetValueAtPercentile(99))} max={Us(h.GetMaxValue())}");
                h.Reset();
            }
            var output = Volatile.Read(ref _outputThreadAllocated);
            var process = GC.GetTotalAllocatedBytes();
            Console.Error.WriteLine(
                $"stage-latency allocated: output thread {output - _reportedOutputThreadAllocated:N0} B, " +
                $"whole process {process - _reportedProcessAllocated:N0} B since the last report");
            _reportedOutputThreadAllocated = output;
            _reportedProcessAllocated = process;
        }
    }

    private static string Us(long ns) => (ns / 1000.0).ToString("F1", System.Globalization.CultureInfo.InvariantCulture).PadLeft(9) + "us";
}
