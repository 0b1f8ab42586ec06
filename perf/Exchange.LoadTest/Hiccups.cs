using System.Diagnostics;

namespace Exchange.LoadTest;

/// <summary>
/// The machine's own stalls, measured in the same run as the pipeline (like jHiccup or sysjitter): one thread per
/// logical CPU reads the clock in a tight loop and records every gap between two reads. A gap is time the thread
/// could not run: a pipeline thread loses the same, with the commands queued behind it, however fast its own code.
/// </summary>
internal static class Hiccups
{
    public sealed record Result(int Threads, double Seconds, long Over10Us, long Over100Us, long Over1Ms, long MaxNs)
    {
        public override string ToString() =>
            $"{Threads} spinning thread(s) for {Seconds:F0} s: gaps over 10 µs {Per(Over10Us)}/s, over 100 µs {Per(Over100Us)}/s, " +
            $"over 1 ms {Per(Over1Ms)}/s, longest {Units.Latency(MaxNs)}";

        private string Per(long n) => (n / (Threads * Seconds)).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
    }

    public static Result Measure(double seconds)
    {
        var threads = Environment.ProcessorCount;
        var counts = new long[threads, 4];
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var toNs = 1e9 / Stopwatch.Frequency;
            var start = Stopwatch.GetTimestamp();
            var end = start + (long)(seconds * Stopwatch.Frequency);
            long last = start, max = 0, c10 = 0, c100 = 0, c1000 = 0;
            while (last < end)
            {
                var now = Stopwatch.GetTimestamp();
                var gap = (long)((now - last) * toNs);
                last = now;
                if (gap <= 10_000) continue;
                c10++;
                if (gap > 100_000) c100++;
                if (gap > 1_000_000) c1000++;
                max = Math.Max(max, gap);
            }
            counts[t, 0] = c10;
            counts[t, 1] = c100;
            counts[t, 2] = c1000;
            counts[t, 3] = max;
        }) { IsBackground = true, Name = "hiccup meter" }).ToArray();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        long Sum(int k) => Enumerable.Range(0, threads).Sum(t => counts[t, k]);
        return new Result(threads, seconds, Sum(0), Sum(1), Sum(2), Enumerable.Range(0, threads).Max(t => counts[t, 3]));
    }
}
