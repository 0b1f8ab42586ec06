using System.Diagnostics;
using HdrHistogram;

namespace Exchange.LoadTest;

/// <summary>
/// Mode (a): the business-logic thread alone, <c>Exchange.Apply</c> over the pre-generated array. One untimed pass
/// gives the throughput; a second pass over a fresh exchange times every command (minus the measured cost of reading
/// the clock) for the mean and distribution per command kind.
/// </summary>
internal sealed class BusinessLogicRun(Workload workload, RunChecks checks, Report report, string outputDirectory,
    CommandKind? profileKind = null)
{
    private const int ProfilePasses = 25;

    /// <summary>Commands per second of the untimed pass (the figure compared with the goals).</summary>
    public double Throughput { get; private set; }

    public double[] MeanNanoseconds { get; } = new double[CommandKinds.Count];

    public void Run()
    {
        var commands = workload.Commands;
        var n = commands.Length;

        Report.Note("bl: warm-up pass ...");
        var warm = workload.NewExchange();
        foreach (ref readonly var c in commands.AsSpan()) warm.Apply(in c);
        if (profileKind is { } kind) ProfileReplays(kind);

        // Pass 1: throughput.
        var x = workload.NewExchange();
        GcCounts.Settle();
        var gc = GcCounts.Now();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        long events = 0;
        var cpuStart = ThreadCpu.Nanoseconds();
        var start = Stopwatch.GetTimestamp();
        foreach (ref readonly var c in commands.AsSpan()) events += x.Apply(in c).Length;
        var ticks = Stopwatch.GetTimestamp() - start;
        var cpu = ThreadCpu.Nanoseconds() - cpuStart;
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        var gcs = GcCounts.Now() - gc;
        var seconds = ticks / (double)Stopwatch.Frequency;
        Throughput = n / seconds;
        var verdict1 = checks.Check(x, n);

        // Pass 2: every command timed.
        var overhead = ClockOverheadNanoseconds();
        var perKind = new LongHistogram[CommandKinds.Count];
        for (var k = 0; k < perKind.Length; k++) perKind[k] = HistogramFiles.NewNanoseconds();
        var all = HistogramFiles.NewNanoseconds();
        var sums = new long[CommandKinds.Count];
        var counts = new long[CommandKinds.Count];
        var trading = new long[CommandKinds.Count];
        long tradingSum = 0, tradingCount = 0;
        var kinds = workload.Kinds;
        var traded = workload.Traded;
        var y = workload.NewExchange();
        GcCounts.Settle();
        var gc2 = GcCounts.Now();
        for (var i = 0; i < n; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            y.Apply(in commands[i]);
            var d = Stopwatch.GetTimestamp() - t0;
            var k = (int)kinds[i];
            sums[k] += d;
            counts[k]++;
            if (traded[i]) { tradingSum += d; tradingCount++; trading[k]++; }
            var ns = Math.Max(0, Units.Nanoseconds(d) - (long)overhead);
            perKind[k].RecordValue(ns);
            all.RecordValue(ns);
        }
        var gcs2 = GcCounts.Now() - gc2;
        var verdict2 = checks.Check(y, n);

        report.Line($"### Business-logic thread alone: {workload.Spec.Describe()}");
        report.Line();
        report.Line($"{n:N0} measured commands after a setup of {workload.Setup.Length:N0}; mix as generated: " +
                    string.Join(", ", Enumerable.Range(0, CommandKinds.Count).Where(k => workload.Stats.PerKind[k] > 0)
                        .Select(k => $"{100.0 * workload.Stats.PerKind[k] / n:F1}% {CommandKinds.Name((CommandKind)k)}")) +
                    $"; {100.0 * workload.Stats.Traded / n:F1}% of commands trade; {100.0 * workload.Stats.Rejected / n:F2}% rejected; " +
                    $"{workload.Stats.Liquidations:N0} liquidations; book ~{workload.Stats.MeanOrdersPerBook:N0} orders on ~{workload.Stats.MeanLevelsPerBook:N0} levels.");
        report.Line();
        report.Line($"- Throughput (untimed pass): **{Units.Rate(Throughput)}** = {1e9 / Throughput:F0} ns per command " +
                    $"({seconds * 1e3:F0} ms, {events:N0} events); GC gen0/1/2 during the pass: {gcs}; allocated on the thread: {allocated:N0} B.");
        // On a shared machine the wall clock counts the time other processes held the CPU; the thread's own CPU time
        // does not (only their effect on the caches), so it is the figure to compare builds by under load.
        if (cpu > 0)
            report.Line($"- Thread CPU time of the untimed pass: {cpu / 1e6:F0} ms = {(double)cpu / n:F0} ns per command " +
                        $"(**{Units.Rate(n / (cpu / 1e9))}** by CPU time).");
        report.Line($"- Timed pass: clock read costs {overhead:F0} ns (subtracted); GC gen0/1/2 during the pass: {gcs2}.");
        report.Line($"- Checks: pass 1 {verdict1}; pass 2 {verdict2}.");
        report.Line();
        report.Line("| command | count | share | trades | mean | p50 | p99 | p99.9 | max |");
        report.Line("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (var k = 0; k < CommandKinds.Count; k++)
        {
            if (counts[k] == 0) continue;
            MeanNanoseconds[k] = sums[k] * Units.NanosecondsPerTick / counts[k] - overhead;
            Row(CommandKinds.Name((CommandKind)k), counts[k], n, trading[k], MeanNanoseconds[k], perKind[k]);
        }
        if (tradingCount > 0)
            report.Line($"| (commands that trade) | {tradingCount:N0} | {100.0 * tradingCount / n:F1}% | 100% | {Units.Latency(tradingSum * Units.NanosecondsPerTick / tradingCount - overhead)} | | | | |");
        Row("all", n, n, tradingCount, sums.Sum() * Units.NanosecondsPerTick / n - overhead, all);
        report.Line();

        var series = new List<(string, HistogramBase)>();
        for (var k = 0; k < CommandKinds.Count; k++)
        {
            if (counts[k] == 0) continue;
            var name = "bl-" + ((CommandKind)k).ToString().ToLowerInvariant();
            HistogramFiles.WriteHgrm(outputDirectory, name, perKind[k]);
            HistogramFiles.WritePlotData(outputDirectory, name, perKind[k]);
            series.Add((CommandKinds.Name((CommandKind)k), perKind[k]));
        }
        HistogramFiles.WriteHgrm(outputDirectory, "bl-all", all);
        report.Line(PercentilePlot.Write(outputDirectory, "bl-service-time",
            $"Exchange.Apply service time per command kind ({workload.Spec.Describe()})", series));
        report.Line();
    }

    private void Row(string name, long count, long n, long trading, double mean, LongHistogram h) =>
        report.Line($"| {name} | {count:N0} | {100.0 * count / n:F1}% | {100.0 * trading / count:F1}% | {Units.Latency(mean)} | {Units.Latency(h.GetValueAtPercentile(50))} | " +
                    $"{Units.Latency(h.GetValueAtPercentile(99))} | {Units.Latency(h.GetValueAtPercentile(99.9))} | {Units.Latency(h.GetMaxValue())} |");

    /// <summary>The mean cost of the two clock reads around a command, measured back to back.</summary>
    /// <summary>
    /// Replays the workload <see cref="ProfilePasses"/> times with every command of <paramref name="kind"/> applied
    /// through <see cref="ApplyProfiled"/>: in a sampling profiler's call stacks that kind's own samples (a few percent
    /// of the mix, e.g. IOC's 3%) are the ones under it, including the work <c>Exchange.Apply</c> does after the
    /// command itself (liquidation re-evaluation, account reports).
    /// </summary>
    private void ProfileReplays(CommandKind kind)
    {
        Report.Note($"bl: {ProfilePasses} replays with {CommandKinds.Name(kind)} through BusinessLogicRun.ApplyProfiled (for a profiler) ...");
        var commands = workload.Commands;
        var kinds = workload.Kinds;
        long events = 0;
        for (var pass = 0; pass < ProfilePasses; pass++)
        {
            var x = workload.NewExchange();
            for (var i = 0; i < commands.Length; i++)
                events += kinds[i] == kind ? ApplyProfiled(x, in commands[i]) : x.Apply(in commands[i]).Length;
        }
        Report.Note($"bl: profile replays done ({events:N0} events)");
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static int ApplyProfiled(Core.Exchange x, in Core.Commands.Command c) => x.Apply(in c).Length;

    private static double ClockOverheadNanoseconds()
    {
        const int samples = 1_000_000;
        long total = 0;
        for (var i = 0; i < samples; i++)
        {
            var a = Stopwatch.GetTimestamp();
            total += Stopwatch.GetTimestamp() - a;
        }
        return total * Units.NanosecondsPerTick / samples;
    }
}
