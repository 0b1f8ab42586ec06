using System.Diagnostics;
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
    /// <summary>How many times the input ring was full when a command was due.</summary>
    public long RingFull { get; private set; }

    /// <summary>Clock ticks when the first command was published.</summary>
    public long FirstPublish { get; private set; }

    public void Run()
    {
        var frequency = Stopwatch.Frequency;
        while (Stopwatch.GetTimestamp() < start) Thread.Yield();
        FirstPublish = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            if (rate > 0)
            {
                // Yield, never spin: with two cores and two pipeline threads, a spinning producer takes the core
                // the business logic needs (measured: p50 at 500k/s went from ~3 ms spinning to ~6 µs yielding). A
                // yield costs about a microsecond, so a command may go out that much late: counted in its latency.
                var due = start + i * frequency / rate;
                while (Stopwatch.GetTimestamp() < due) Thread.Yield();
            }
            if (!pipeline.TryPublish(in commands[i], rate > 0 ? i : -1, out _)) Retry(i);
        }
    }

    private void Retry(int i)
    {
        RingFull++;
        while (!pipeline.TryPublish(in commands[i], rate > 0 ? i : -1, out _))
        {
            if (pipeline.Fault is not null) throw new InvalidOperationException("the pipeline faulted", pipeline.Fault);
            Thread.Yield();
        }
    }
}
