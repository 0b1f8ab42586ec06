using HdrHistogram;

namespace Exchange.LoadTest;

/// <summary>
/// Mode (b): steps the injection rate up (100k, 250k, 500k, 1M/s ...) until a rate is not kept up, reporting the
/// latency percentiles per rate, then floods the pipeline once for its saturation throughput.
/// </summary>
internal sealed class PipelineLadder(Workload workload, RunChecks checks, Report report, LoadTestOptions options, string outputDirectory)
{
    public List<PipelineResult> Results { get; } = [];

    /// <summary>The highest rate kept up, 0 if none.</summary>
    public long SustainedRate { get; private set; }

    /// <summary>The highest rate kept up with p99 under 1 ms, 0 if none.</summary>
    public long BoundedRate { get; private set; }

    public double Saturation { get; private set; }

    public void Run()
    {
        var count = workload.Commands.Length;
        var run = new PipelineRun(workload, checks, options);
        Report.Note("pipeline: measuring the machine's own stalls (3 s) ...");
        var hiccups = Hiccups.Measure(3);
        WarmUntilTheJitIsQuiet(run, count);

        foreach (var rate in options.Rates)
        {
            Report.Note($"pipeline: {Units.Rate(rate)} x {count:N0} commands ...");
            var r = run.Run(rate, count);
            Results.Add(r);
            Report.Note($"  p50 {Units.Latency(r.Latency.GetValueAtPercentile(50))}, p99 {Units.Latency(r.Latency.GetValueAtPercentile(99))}, " +
                        $"max {Units.Latency(r.Latency.GetValueAtPercentile(100))}, achieved {Units.Rate(r.Achieved)}");
            if (r.Stalls is { } stalls)
                Report.Note($"  machine stalls in the same run: p99 {Units.Latency(stalls.GetValueAtPercentile(99))}, " +
                            $"p99.9 {Units.Latency(stalls.GetValueAtPercentile(99.9))}, max {Units.Latency(stalls.GetValueAtPercentile(100))}");
            if (r.RunnableStalls is { } runnable)
                Report.Note($"  the runnable meter in the same run: p99 {Units.Latency(runnable.GetValueAtPercentile(99))}, " +
                            $"p99.9 {Units.Latency(runnable.GetValueAtPercentile(99.9))}, max {Units.Latency(runnable.GetValueAtPercentile(100))}");
            Report.Note($"  JIT during the run: {r.Jit.Methods:N0} methods, {r.Jit.Time.TotalMilliseconds:F1} ms");
            foreach (var name in r.JitNames)
                Report.Note($"    {name}");
            foreach (var (name, sched) in r.Sched)
                Report.Note($"  {name}: {sched.Describe(r.Seconds)}");
            if (r.SlowWindows.Count > 0)
                Report.Note($"  10 ms windows whose worst command waited over 5 ms (ms into the run: worst wait): " +
                            string.Join(", ", r.SlowWindows.Take(40).Select(w => $"{w.AtMs}: {Units.Latency(w.WorstNs)}")) +
                            (r.SlowWindows.Count > 40 ? $" ... ({r.SlowWindows.Count} windows)" : ""));
            if (r.Timeline is { } timeline)
                Report.Note($"  the run's first {options.TimelineMs} ms (deltas since the previous sample):\n{timeline}");
            if (r.QueryLatency is { } q)
                Report.Note($"  queries ({options.LateJoiners} late joiners, {options.AccountQueries} account queries): " +
                            $"p50 {Units.Latency(q.GetValueAtPercentile(50))}, p99 {Units.Latency(q.GetValueAtPercentile(99))}, " +
                            $"max {Units.Latency(q.GetValueAtPercentile(100))}, answered {q.TotalCount:N0}");
            if (r.KeptUp) SustainedRate = Math.Max(SustainedRate, rate);
            if (r.KeptUp && r.Bounded) BoundedRate = Math.Max(BoundedRate, rate);
            if (!r.KeptUp && !options.AllRates) break;
        }
        Report.Note("pipeline: flood for the saturation throughput ...");
        var flood = run.Run(0, count);
        Saturation = flood.Achieved;

        report.Line($"### Pipeline, open loop: {workload.Spec.Describe()}");
        report.Line();
        report.Line($"{count:N0} commands per rate, injected by one pacing thread at fixed intervals; latency from each command's " +
                    $"planned send time to the output handler's OnEvents. Topology {options.TopologyName}, wait strategy {options.Wait}, " +
                    (options.Journal ? $"journal on (fsync {options.Fsync})" : "journal off") + ", rings 16k slots.");
        report.Line();
        report.Line("| rate | achieved | p50 | p90 | p99 | p99.9 | p99.99 | max | GC 0/1/2 | ring full | kept up | p99 < 1 ms |");
        report.Line("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:--:|:--:|");
        var series = new List<(string, HistogramBase)>();
        foreach (var r in Results)
        {
            var h = r.Latency;
            report.Line($"| {Units.Rate(r.Rate)} | {Units.Rate(r.Achieved)} | {Units.Latency(h.GetValueAtPercentile(50))} | " +
                        $"{Units.Latency(h.GetValueAtPercentile(90))} | {Units.Latency(h.GetValueAtPercentile(99))} | " +
                        $"{Units.Latency(h.GetValueAtPercentile(99.9))} | {Units.Latency(h.GetValueAtPercentile(99.99))} | " +
                        $"{Units.Latency(h.GetValueAtPercentile(100))} | {r.Gcs} | {r.RingFull:N0} | {(r.KeptUp ? "yes" : "no")} | {(r.Bounded ? "yes" : "no")} |");
            var name = "pipeline-" + Units.Short(r.Rate);
            HistogramFiles.WriteHgrm(outputDirectory, name, h);
            HistogramFiles.WritePlotData(outputDirectory, name, h);
            series.Add((Units.Rate(r.Rate), h));
        }
        report.Line();
        report.Line("The machine's stalls in the same runs (a thread sleeping 1 ms at a time, how late it woke, corrected for " +
                    "coordinated omission: percentiles of time, as the pipeline's are), against the pipeline's tail:");
        report.Line();
        report.Line("| rate | stall p50 | p99 | p99.9 | max | pipeline p99 / stall p99 | pipeline p99.9 / stall p99.9 |");
        report.Line("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in Results)
        {
            if (r.Stalls is not { } m) continue;
            report.Line($"| {Units.Rate(r.Rate)} | {Units.Latency(m.GetValueAtPercentile(50))} | {Units.Latency(m.GetValueAtPercentile(99))} | " +
                        $"{Units.Latency(m.GetValueAtPercentile(99.9))} | {Units.Latency(m.GetValueAtPercentile(100))} | " +
                        $"{Ratio(r.Latency, m, 99)} | {Ratio(r.Latency, m, 99.9)} |");
            HistogramFiles.WriteHgrm(outputDirectory, "stalls-" + Units.Short(r.Rate), m);
        }
        report.Line();
        if (Results.Any(r => r.RunnableStalls is not null))
        {
            report.Line("The second meter (`--busy-meter`: always runnable, it yields in a loop as an idle yielding stage does; per ms " +
                        "the longest time it was kept off a CPU, corrected for coordinated omission):");
            report.Line();
            report.Line("| rate | runnable p50 | p99 | p99.9 | max | pipeline p99 / runnable p99 | pipeline p99.9 / runnable p99.9 |");
            report.Line("|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var r in Results)
            {
                if (r.RunnableStalls is not { } m) continue;
                report.Line($"| {Units.Rate(r.Rate)} | {Units.Latency(m.GetValueAtPercentile(50))} | {Units.Latency(m.GetValueAtPercentile(99))} | " +
                            $"{Units.Latency(m.GetValueAtPercentile(99.9))} | {Units.Latency(m.GetValueAtPercentile(100))} | " +
                            $"{Ratio(r.Latency, m, 99)} | {Ratio(r.Latency, m, 99.9)} |");
            }
            report.Line();
        }
        report.Line("What the scheduler did to each thread during each paced run (`/proc/self/task/TID/schedstat`: time run, time " +
                    "waited on a run queue while runnable, slices; involuntary switches = preemptions):");
        report.Line();
        foreach (var r in Results)
        {
            report.Line($"- {Units.Rate(r.Rate)}: the JIT compiled {r.Jit.Methods:N0} methods in {r.Jit.Time.TotalMilliseconds:F1} ms during the run");
            foreach (var (name, sched) in r.Sched)
                report.Line($"- {Units.Rate(r.Rate)}, {name}: {sched.Describe(r.Seconds)}");
        }
        report.Line();
        report.Line($"- Sustained maximum throughput (highest rate kept up, >= 98% delivered): **{(SustainedRate > 0 ? Units.Rate(SustainedRate) : "none")}**; " +
                    $"with p99 < 1 ms as well: {(BoundedRate > 0 ? Units.Rate(BoundedRate) : "none")}; " +
                    $"saturation (flooding the input ring): {Units.Rate(Saturation)}, GC {flood.Gcs}.");
        report.Line($"- The machine's own stalls, measured just before the ladder: {hiccups}. A pipeline thread that " +
                    "stalls that long delays every command queued behind it, which bounds the tail percentiles from below.");
        report.Line("- Checks, every run (each rate and the flood): " + string.Join(" | ", Results.Select(r => r.Verdict).Append(flood.Verdict).Distinct()));
        report.Line("- " + PercentilePlot.Write(outputDirectory, "pipeline-latency",
            $"ExchangePipeline latency from planned send time ({workload.Spec.Describe()})", series));
        report.Line();
    }

    /// <summary>
    /// Rounds of a flood of the whole workload and short paced runs at each rate, until one whole round compiles nothing
    /// while its runs run (at most 12 rounds). The flood alone left the pipeline's hot path to be promoted during the
    /// measured runs: tiered compilation (tier 0, then instrumented tier 0, then tier 1, each after 30 calls and a 100 ms
    /// quiet period that any new tier-0 method restarts) was still compiling `BusinessLogicHandler.OnEvent`,
    /// `OutputConsumer.OnEvent`, the sequencers and the wait strategy at tier 1 in the 1M/s run, after the 250k/s one
    /// (`DOTNET_JitDisasmSummary=1`, docs/benchmarks.md "Tails at 1M/s: the warm-up, the scheduler and the meters").
    /// Slower tier-0 code on the business-logic thread builds a queue at 1M/s, and the background compiler takes a CPU the
    /// three pipeline threads need. The paced runs alone (a quarter of a second each, the workload's first commands)
    /// never reached the liquidation index's heap (`WatchHeap`) 30 times per tier, which the measured runs, going
    /// through the whole workload, did: its promotions were the only JIT left in the measured runs (docs/benchmarks.md,
    /// 2026-12-07). So every round floods the whole workload first, which calls what the measured runs will call.
    /// </summary>
    private void WarmUntilTheJitIsQuiet(PipelineRun run, int count)
    {
        run.WarmLifetime();
        const int MaxRounds = 12;
        for (var round = 1; round <= MaxRounds; round++)
        {
            var compiled = run.Run(0, count).Jit.Methods;
            Thread.Sleep(250);
            foreach (var rate in options.Rates)
            {
                // A quarter of a second at each rate, then a pause for the background compiler to finish what it queued.
                var r = run.Run(rate, (int)Math.Min(count, Math.Max(10_000, rate / 4)));
                compiled += r.Jit.Methods;
                Thread.Sleep(250);
            }
            Report.Note($"pipeline: warm-up round {round} (a flood of {count:N0}, then {string.Join(", ", options.Rates.Select(r => Units.Rate(r)))}): " +
                        $"{compiled} methods JIT-compiled while the runs ran");
            if (compiled == 0) return;
        }
    }

    /// <summary>The pipeline's percentile over the machine's, "x" formatted; a stall floor under 1 µs counts as 1 µs.</summary>
    private static string Ratio(HistogramBase pipeline, HistogramBase stalls, double percentile) =>
        (pipeline.GetValueAtPercentile(percentile) / (double)Math.Max(1_000, stalls.GetValueAtPercentile(percentile)))
            .ToString("F1", System.Globalization.CultureInfo.InvariantCulture) + "x";
}
