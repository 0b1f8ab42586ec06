using System.Diagnostics;
using Exchange.Core.Journal;
using Exchange.Core.Pipeline;
using HdrHistogram;

namespace Exchange.LoadTest;

/// <summary>
/// One run of mode (b): a fresh exchange with the setup applied behind a fresh <see cref="ExchangePipeline"/>, the
/// first <c>count</c> commands injected by a <see cref="PacedProducer"/> thread at a fixed rate, latencies recorded
/// by the output handler, then the pipeline drained and the exchange checked.
/// </summary>
internal sealed class PipelineRun(Workload workload, RunChecks checks, LoadTestOptions options)
{
    private static readonly string[] PipelineThreads = ["exchange-logic", "exchange-output", "exchange-pipeline", "exchange-journal"];

    private readonly JitNames? _jitNames = options.JitNames ? new JitNames() : null;

    /// <summary>Waits (at most 3 s) until no method has been JIT-compiled for 300 ms.</summary>
    private static void WaitForQuietJit()
    {
        var deadline = Stopwatch.GetTimestamp() + 3 * Stopwatch.Frequency;
        var last = System.Runtime.JitInfo.GetCompiledMethodCount();
        var quietSince = Stopwatch.GetTimestamp();
        while (Stopwatch.GetTimestamp() < deadline)
        {
            Thread.Sleep(50);
            var now = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (now != last) (last, quietSince) = (now, Stopwatch.GetTimestamp());
            else if (Stopwatch.GetTimestamp() - quietSince > 3 * Stopwatch.Frequency / 10) return;
        }
    }

    private static string NewJournalDirectory() =>
        Path.Combine(Path.GetTempPath(), "exchange-loadtest-journal-" + Guid.NewGuid().ToString("N"));

    private ExchangePipeline NewPipeline(Core.Exchange x, bool queried, string? journal, LatencyRecorder recorder) =>
        new(x, new PipelineOptions
        {
            // Queries come from a thread of their own, as a gateway's sessions send them.
            ProducerType = queried ? ProducerType.Multi : ProducerType.Single,
            WaitStrategy = options.Wait,
            Topology = options.Topology,
            Journal = journal is null ? null : new JournalOptions { Directory = journal, Fsync = options.Fsync },
        }, recorder);

    /// <summary>
    /// Does what every run does once or a few times, without commands, in passes of 40 until a pass and the quarter of
    /// a second after it compile nothing (at most 8 passes): the bookkeeping around a paced run (a histogram, GC counts,
    /// a meter, a started and joined thread that reads its own scheduler figures, every pipeline thread's figures before
    /// and after, the JIT counters), an empty pipeline started and stopped (every stage's event loop,
    /// `BatchEventProcessor.ProcessEvents`, runs once per pipeline), and a gen2 collection with its finalizer work (each
    /// run settles the heap with two; the runtime's array-pool trimming runs after each).
    /// Tiering promotes a method after 30 calls, twice with dynamic PGO, and does not count calls made within 100 ms
    /// of any tier-0 compile: what a run calls once was promoted only after about 30 runs, in the measured ones (24
    /// bookkeeping methods at load 15; `ProcessEvents`' tier-1 promotion, 4.7 ms of JIT, and `SharedArrayPool.Trim`'s,
    /// 2-6 ms, in 1M/s runs; docs/benchmarks.md). The pauses between the passes let the counting start.
    /// </summary>
    public void WarmLifetime()
    {
        var x = workload.NewExchange();
        var queried = options.LateJoiners + options.AccountQueries > 0;
        for (var pass = 1; pass <= 8; pass++)
        {
            var compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
            for (var i = 0; i < 40; i++)
            {
                _ = HistogramFiles.NewNanoseconds();
                var gc = GcCounts.Now();
                var jit = (System.Runtime.JitInfo.GetCompiledMethodCount(), System.Runtime.JitInfo.GetCompilationTime());
                using (new HiccupMeter())
                {
                    var before = SchedStat.Threads(PipelineThreads);
                    var thread = new Thread(() => _ = SchedStat.Self()) { Name = "bookkeeping warm-up", IsBackground = true };
                    thread.Start();
                    thread.Join();
                    var journal = options.Journal ? NewJournalDirectory() : null;
                    using (var pipeline = NewPipeline(x, queried, journal, new LatencyRecorder(HistogramFiles.NewNanoseconds())))
                    {
                        pipeline.Start();
                        foreach (var (name, after) in SchedStat.Threads(PipelineThreads))
                            if (before.TryGetValue(name, out var start)) _ = after - start;
                    }
                    if (journal is not null && Directory.Exists(journal)) Directory.Delete(journal, recursive: true);
                }
                _ = GcCounts.Now() - gc;
                _ = (System.Runtime.JitInfo.GetCompiledMethodCount() - jit.Item1, System.Runtime.JitInfo.GetCompilationTime() - jit.Item2);
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
                GC.WaitForPendingFinalizers();
            }
            Thread.Sleep(250);
            compiled = System.Runtime.JitInfo.GetCompiledMethodCount() - compiled;
            Report.Note($"pipeline: warm-up of what each run does once, pass {pass}: {compiled} methods JIT-compiled");
            if (compiled == 0) return;
        }
    }

    public PipelineResult Run(long rate, int count)
    {
        var x = workload.NewExchange();
        var histogram = HistogramFiles.NewNanoseconds();
        var recorder = new LatencyRecorder(histogram);
        var queried = rate > 0 && options.LateJoiners + options.AccountQueries > 0;
        string? journal = options.Journal ? NewJournalDirectory() : null;
        var pipeline = NewPipeline(x, queried, journal, recorder);
        try
        {
            // The background compiler finishes what the last run and its report queued (tier-1 promotions), so it does
            // not take a CPU from the pipeline's threads during this one.
            if (rate > 0) WaitForQuietJit();
            pipeline.Start();
            GcCounts.Settle();
            var gc = GcCounts.Now();
            // The plan starts 250 ms ahead: the fresh pipeline's threads settle first. With 5 ms, every run's first 80 ms
            // waited ~25 ms (located by the slow-window report): the start, not the steady state the ladder measures.
            var start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 4;
            recorder.Begin(start, rate);
            var producer = new PacedProducer(pipeline, workload.Commands, count, rate, start);
            var thread = new Thread(producer.Run) { Name = "paced producer", IsBackground = true };
            QueryProducer? queries = null;
            Thread? queryThread = null;
            if (queried)
            {
                // Spread over the run, the first one tenth of an interval in.
                var n = options.LateJoiners + options.AccountQueries;
                var interval = count * Stopwatch.Frequency / rate / n;
                queries = new QueryProducer(pipeline, options.LateJoiners, options.AccountQueries, workload.Spec.Accounts,
                    start + interval / 10, interval);
                recorder.TimeQueries(queries, HistogramFiles.NewNanoseconds());
                queryThread = new Thread(queries.Run) { Name = "query producer", IsBackground = true };
                queryThread.Start();
            }
            // The machine's stalls in the same minutes, for the tail percentiles to be read against (paced runs only).
            using var meter = rate > 0 ? new HiccupMeter() : null;
            using var busyMeter = rate > 0 && options.BusyMeter ? new HiccupMeter(runnable: true) : null;
            thread.Start();
            var stages = SchedStat.Threads(PipelineThreads);
            var (jitMethods, jitTime) = (System.Runtime.JitInfo.GetCompiledMethodCount(), System.Runtime.JitInfo.GetCompilationTime());
            if (rate > 0) _jitNames?.Begin(DateTime.UtcNow + TimeSpan.FromSeconds((start - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency));
            using var timeline = rate > 0 && options.TimelineMs > 0
                ? new StartTimeline(start, rate, options.TimelineMs, () => producer.Published, () => recorder.Delivered)
                : null;
            thread.Join();
            queryThread?.Join();
            var deadline = Stopwatch.GetTimestamp() + 120 * Stopwatch.Frequency;
            while (recorder.Delivered < count + (queries?.Count ?? 0))
            {
                if (pipeline.Fault is not null) throw new InvalidOperationException("the pipeline faulted", pipeline.Fault);
                if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException($"{recorder.Delivered:N0} of {count:N0} commands delivered after 120 s");
                Thread.Sleep(1);
            }
            var gcs = GcCounts.Now() - gc;
            var jit = (System.Runtime.JitInfo.GetCompiledMethodCount() - jitMethods, System.Runtime.JitInfo.GetCompilationTime() - jitTime);
            var jitNames = rate > 0 && _jitNames is not null ? _jitNames.End() : [];
            var sched = new Dictionary<string, SchedStat>();
            foreach (var (name, after) in SchedStat.Threads(PipelineThreads))
                if (stages.TryGetValue(name, out var before)) sched[name] = after - before;
            meter?.Dispose();
            busyMeter?.Dispose();
            if (rate > 0) sched["paced producer"] = producer.Sched;
            if (meter is not null) sched["hiccup meter (sleeping)"] = meter.Sched;
            if (busyMeter is not null) sched["hiccup meter (runnable)"] = busyMeter.Sched;
            timeline?.Dispose();
            pipeline.Dispose();
            var from = rate > 0 ? start : producer.FirstPublish;
            var achieved = count / ((recorder.LastDelivery - from) / (double)Stopwatch.Frequency);
            return new PipelineResult(rate, count, achieved, histogram, gcs, producer.RingFull, checks.Check(x, count))
            {
                QueryLatency = recorder.QueryLatency,
                Stalls = meter?.Stalls,
                RunnableStalls = busyMeter?.Stalls,
                Sched = sched,
                Jit = jit,
                JitNames = jitNames,
                Seconds = (recorder.LastDelivery - from) / (double)Stopwatch.Frequency,
                SlowWindows = rate > 0 ? recorder.SlowWindows(5_000_000) : [],
                Timeline = timeline?.Table(),
            };
        }
        finally
        {
            pipeline.Dispose();
            if (journal is not null && Directory.Exists(journal)) Directory.Delete(journal, recursive: true);
        }
    }
}
