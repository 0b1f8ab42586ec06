using System.Diagnostics;
using System.Runtime.CompilerServices;
using Exchange.Core.Commands;
using Exchange.Core.Pipeline;

namespace Exchange.LoadTest;

/// <summary>
/// The open-loop injector: command i is due at start + i / rate, whatever happened to the ones before; a late or
/// blocked producer sends the backlog at once and the latency is still counted from the plan. Rate 0 floods (as fast
/// as the input ring takes them), for the saturation throughput.
/// </summary>
internal sealed class PacedProducer(ExchangePipeline pipeline, Command[] commands, int count, long rate, long start)
{
    /// <summary>How many times the input ring was full when a command (or a batch of due commands) was due.</summary>
    public long RingFull { get; private set; }

    private long _published;

    /// <summary>Commands published so far (read by other threads).</summary>
    public long Published => Volatile.Read(ref _published);

    /// <summary>What the scheduler did to the producer's thread from its first command to its last.</summary>
    public SchedStat Sched { get; private set; }

    /// <summary>Clock ticks when the first command was published.</summary>
    public long FirstPublish { get; private set; }

    /// <summary>Most commands entered with one claim and publish.</summary>
    public const int MaxBatch = 64;

    // Called once per run, so tiering never promotes it: it would run each run's start as tier-0 code until its loop
    // is patched (OSR). Fully optimized at the first call instead, and never compiled during a measured run.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run()
    {
        var frequency = Stopwatch.Frequency;
        // Each command's correlation is its index (the planned send time is derived from it); -1 when flooding.
        var correlations = new long[count];
        for (var i = 0; i < count; i++) correlations[i] = rate > 0 ? i : -1;
        while (Stopwatch.GetTimestamp() < start) Thread.Yield();
        var sched = SchedStat.Self();
        FirstPublish = Stopwatch.GetTimestamp();
        for (var i = 0; i < count;)
        {
            var n = Math.Min(MaxBatch, count - i);
            if (rate > 0)
            {
                // Yield, never spin: with two cores and two pipeline threads, a spinning producer takes the core
                // the business logic needs (measured: p50 at 500k/s went from ~3 ms spinning to ~6 µs yielding). A
                // yield costs about a microsecond, so a command may go out that much late: counted in its latency.
                var due = start + i * frequency / rate;
                var now = Stopwatch.GetTimestamp();
                while (now < due)
                {
                    Thread.Yield();
                    now = Stopwatch.GetTimestamp();
                }
                // Every command already due goes out in one batch publish (the backlog after a stall).
                var due1 = 1;
                while (due1 < n && start + (i + due1) * frequency / rate <= now) due1++;
                n = due1;
            }
            var batch = commands.AsSpan(i, n);
            var ids = correlations.AsSpan(i, n);
            if (n == 1 ? !pipeline.TryPublish(in commands[i], ids[0], out _) : !pipeline.TryPublishBatch(batch, ids, out _))
                Retry(batch, ids);
            i += n;
            Volatile.Write(ref _published, i);
        }
        Sched = SchedStat.Self() - sched;
    }

    // Only when the ring is full, which warm-up runs rarely see: compiled optimized at once, not promoted mid-run.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Retry(ReadOnlySpan<Command> batch, ReadOnlySpan<long> ids)
    {
        RingFull++;
        while (!pipeline.TryPublishBatch(batch, ids, out _))
        {
            if (pipeline.Fault is not null) throw new InvalidOperationException("the pipeline faulted", pipeline.Fault);
            Thread.Yield();
        }
    }
}
