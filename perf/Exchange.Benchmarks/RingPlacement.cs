using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Exchange.Core.Commands;
using Exchange.Core.Pipeline;
using Exchange.LoadTest;

namespace Exchange.Benchmarks;

/// <summary>
/// Why the ring's single-event 1P1C figure moves between runs: the same transfer as
/// <see cref="RingBufferBenchmarks"/> (one producer publishing commands one by one, one consumer thread summing them,
/// a 64k ring), with the two threads placed explicitly: on two different CPUs, both on one CPU, or left to the
/// scheduler. For each it reports the time per event, the consumer's mean batch (events per wake-up of its loop:
/// 1 means the two threads move in lockstep, one cache-line hand-over per event) and each thread's CPU time and
/// involuntary context switches. The bounded channel runs the same way for the ratio.
/// <code>dotnet Exchange.Benchmarks.dll ring-placement [EVENTS (default 20,000,000)] [ROUNDS (default 3)] [placements: split,same,free]</code>
/// Environment: <c>RING_SIZE=N</c> (slots, default 65536); <c>RING_EXPERIMENTS=1</c> adds three other ways for the
/// consumer to wait when it has caught up (a PAUSE per poll, a yield per poll, a longer spin per poll): how often it
/// reads the producer's cursor sets its batch size and the producer's cost on two CPUs (docs/benchmarks.md).
/// <c>RING_EXPERIMENTS=2</c> adds the slot layout: commands in 128-byte slots (no cache line holds parts of two
/// slots, where 80-byte slots share one at every boundary), with the yielding wait and with a yield per poll.
/// <c>RING_CASES=yielding,busy-spin,channel</c> (the default: those three) picks the standard cases, and <c>batched</c>
/// adds the yielding ring with the producer claiming and publishing 64 slots at a time; with more than one
/// round a summary follows per placement and case: the fastest and the median round, the median batch and CPU times
/// (on a loaded machine the fastest round is the one least disturbed by the scheduler).
/// </summary>
internal static class RingPlacement
{
    private static readonly int BufferSize = int.TryParse(Environment.GetEnvironmentVariable("RING_SIZE"), out var size) ? size : 64 * 1024;

    public static void Run(string[] args)
    {
        var events = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20_000_000;
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
        var placements = args.Length > 2 ? args[2].Split(',') : ["split", "same", "free"];
        Console.WriteLine($"ring-placement: {events:N0} events per case, {rounds} round(s), {Environment.ProcessorCount} CPUs, load {Load()}");
        for (var round = 1; round <= rounds; round++)
        {
            if (Environment.ProcessorCount >= 2)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{round} cache-line round trip between CPU 0 and CPU 1: {PingPong(200_000):F1} ns (the floor of a hand-over)"));
            foreach (var placement in placements)
            {
                var (producerCpu, consumerCpu) = placement switch
                {
                    "split" => (0, 1),
                    "same" => (0, 0),
                    _ => (-1, -1),
                };
                if (Case("yielding")) Report(round, placement, "ring, yielding", Ring(new YieldingWaitStrategy(), events, producerCpu, consumerCpu));
                if (Case("batched")) Report(round, placement, "ring, batch 64", Ring<Command, CountingHandler, YieldingWaitStrategy>(new YieldingWaitStrategy(), events, producerCpu, consumerCpu, 64));
                if (Case("busy-spin")) Report(round, placement, "ring, busy-spin", Ring(new BusySpinWaitStrategy(), events, producerCpu, consumerCpu));
                if (Environment.GetEnvironmentVariable("RING_EXPERIMENTS") == "1")
                {
                    Report(round, placement, "ring, yield-pause", Ring(new YieldPause(), events, producerCpu, consumerCpu));
                    Report(round, placement, "ring, yield-now", Ring(new YieldNow(), events, producerCpu, consumerCpu));
                    Report(round, placement, "ring, pause-64", Ring(new PauseSpin(), events, producerCpu, consumerCpu));
                }
                if (Environment.GetEnvironmentVariable("RING_EXPERIMENTS") == "2")
                {
                    Report(round, placement, "ring, yield-now", Ring(new YieldNow(), events, producerCpu, consumerCpu));
                    Report(round, placement, "padded, yielding", Ring<PaddedCommand, PaddedHandler, YieldingWaitStrategy>(new YieldingWaitStrategy(), events, producerCpu, consumerCpu));
                    Report(round, placement, "padded, yield-now", Ring<PaddedCommand, PaddedHandler, YieldNow>(new YieldNow(), events, producerCpu, consumerCpu));
                }
                if (Case("channel")) Report(round, placement, "channel", Channel(events, producerCpu, consumerCpu));
            }
        }
        if (rounds > 1) Summarize();
    }

    private static readonly string[] s_cases = (Environment.GetEnvironmentVariable("RING_CASES") ?? "yielding,busy-spin,channel").Split(',');

    private static bool Case(string name) => Array.IndexOf(s_cases, name) >= 0;

    private static readonly List<(string Placement, string Subject, Result Result)> s_results = [];

    private static void Summarize()
    {
        Console.WriteLine("summary (per placement and case: ns per event fastest / median round, M/s of each, median batch, median CPU ns per event producer / consumer)");
        foreach (var group in s_results.GroupBy(r => (r.Placement, r.Subject)))
        {
            var ns = group.Select(r => r.Result.NsPerEvent).Order().ToArray();
            var batch = group.Select(r => r.Result.MeanBatch).Order().ToArray();
            var producer = group.Select(r => r.Result.ProducerCpuMs * 1e6 / r.Result.Events).Order().ToArray();
            var consumer = group.Select(r => r.Result.ConsumerCpuMs * 1e6 / r.Result.Events).Order().ToArray();
            var median = ns[ns.Length / 2];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {group.Key.Placement,-5} {group.Key.Subject,-16} {ns[0],7:F2} / {median,7:F2} ns ({1000 / ns[0],6:F1} / {1000 / median,6:F1} M/s), batch {batch[batch.Length / 2],9:F1}, CPU {producer[producer.Length / 2],6:F2} / {consumer[consumer.Length / 2],6:F2} ns, {ns.Length} rounds"));
        }
    }

    private sealed record Result(long Events, double NsPerEvent, double MeanBatch, double ProducerCpuMs, double ConsumerCpuMs, long ProducerInvoluntary, long ConsumerInvoluntary);

    private static void Report(int round, string placement, string subject, Result r)
    {
        s_results.Add((placement, subject, r));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{round} {placement,-5} {subject,-16} {r.NsPerEvent,7:F2} ns/event ({1000 / r.NsPerEvent,6:F1} M/s), mean batch {r.MeanBatch,9:F1}, " +
            $"lag {(s_lagSamples == 0 ? 0 : 100.0 * s_lagSum / s_lagSamples / BufferSize),3:F0}% of the ring, CPU ns/event producer {r.ProducerCpuMs * 1e6 / r.Events,6:F2} consumer {r.ConsumerCpuMs * 1e6 / r.Events,6:F2}, involuntary switches {r.ProducerInvoluntary} / {r.ConsumerInvoluntary}"));
    }

    private static Result Ring<TWait>(TWait wait, int events, int producerCpu, int consumerCpu)
        where TWait : struct, IWaitStrategy => Ring<Command, CountingHandler, TWait>(wait, events, producerCpu, consumerCpu);

    private static Result Ring<T, THandler, TWait>(TWait wait, int events, int producerCpu, int consumerCpu, int batch = 1)
        where T : struct
        where THandler : struct, IPlacementHandler<T, THandler>
        where TWait : struct, IWaitStrategy
    {
        var ring = RingBuffer<T>.CreateSingleProducer(BufferSize, wait);
        var processor = new BatchEventProcessor<T, THandler, TWait>(ring, ring.NewBarrier(), default);
        ring.AddGatingSequences(processor.Sequence);
        var consumerStats = new ThreadStats();
        processor.Start("placement consumer", consumerCpu);
        // Warm: a first lap so the JIT and the pages are out of the way, then the measured events.
        var result = OnThread(producerCpu, () =>
        {
            Publish<T, THandler>(ring, processor.Sequence, 0, BufferSize);
            consumerStats = ThreadStats.Of(processor);
            var batches0 = consumerStats.Batches;
            var (cpu0, sw0) = Self();
            var c0 = consumerStats.Read();
            var start = Stopwatch.GetTimestamp();
            if (batch == 1)
                Publish<T, THandler>(ring, processor.Sequence, BufferSize, events);
            else
                PublishBatches<T, THandler>(ring, processor.Sequence, BufferSize, events, batch);
            var elapsed = Stopwatch.GetElapsedTime(start);
            var (cpu1, sw1) = Self();
            var c1 = consumerStats.Read();
            var batches = consumerStats.Batches - batches0;
            return new Result(events, elapsed.TotalNanoseconds / events, (double)events / Math.Max(1, batches), (cpu1 - cpu0) / 1e6,
                (c1.CpuNs - c0.CpuNs) / 1e6, sw1 - sw0, c1.Involuntary - c0.Involuntary);
        });
        processor.Halt();
        processor.WaitForShutdown(TimeSpan.FromSeconds(10));
        return result;
    }

    private static long s_lagSum, s_lagSamples;

    private static void Publish<T, THandler>(RingBuffer<T> ring, Sequence consumed, int from, int count)
        where T : struct
        where THandler : struct, IPlacementHandler<T, THandler>
    {
        long sequence = -1;
        s_lagSum = s_lagSamples = 0;
        for (var i = from; i < from + count; i++)
        {
            // The consumer's lag, sampled every 4,096 events (one read of its sequence: too rare to disturb the run).
            if ((i & 4095) == 0 && sequence >= 0)
            {
                s_lagSum += sequence - consumed.Value;
                s_lagSamples++;
            }
            sequence = ring.Next();
            THandler.Write(ref ring[sequence], sequence, i);
            ring.Publish(sequence);
        }
        var spin = new SpinWait();
        while (consumed.Value < sequence)
            spin.SpinOnce(sleep1Threshold: -1);
    }

    // The same transfer with one claim and one publish per batch slots: what moving the slots alone costs, with one
    // cursor store and one flag hand-over per batch instead of per event.
    private static void PublishBatches<T, THandler>(RingBuffer<T> ring, Sequence consumed, int from, int count, int batch)
        where T : struct
        where THandler : struct, IPlacementHandler<T, THandler>
    {
        long hi = -1;
        s_lagSum = s_lagSamples = 0;
        for (var i = from; i < from + count; i += batch)
        {
            hi = ring.Next(batch);
            var lo = hi - batch + 1;
            for (var s = lo; s <= hi; s++)
                THandler.Write(ref ring[s], s, i + (s - lo));
            ring.Publish(lo, hi);
        }
        var spin = new SpinWait();
        while (consumed.Value < hi)
            spin.SpinOnce(sleep1Threshold: -1);
    }

    private static Result Channel(int events, int producerCpu, int consumerCpu)
    {
        var channel = System.Threading.Channels.Channel.CreateBounded<Command>(new BoundedChannelOptions(BufferSize)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        long read = 0, batches = 0;
        long consumerCpuNs = 0, consumerSwitches = 0;
        var stop = false;
        var reader = new Thread(() =>
        {
            if (consumerCpu >= 0) ThreadAffinity.PinCurrentThread(consumerCpu);
            var r = channel.Reader;
            var spin = new SpinWait();
            long sum = 0;
            var (cpu0, sw0) = Self();
            while (!Volatile.Read(ref stop))
            {
                if (r.TryRead(out var command))
                {
                    sum += command.Price;
                    Volatile.Write(ref read, read + 1);
                    spin = default;
                }
                else
                {
                    batches++;
                    spin.SpinOnce(sleep1Threshold: -1);
                }
            }
            var (cpu1, sw1) = Self();
            consumerCpuNs = cpu1 - cpu0;
            consumerSwitches = sw1 - sw0;
            GC.KeepAlive(sum);
        }) { IsBackground = true, Name = "placement channel consumer" };
        reader.Start();
        var result = OnThread(producerCpu, () =>
        {
            var w = channel.Writer;
            var command = default(Command);
            var (cpu0, sw0) = Self();
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < events; i++)
            {
                command.Price = i;
                if (!w.TryWrite(command))
                {
                    var spin = new SpinWait();
                    while (!w.TryWrite(command)) spin.SpinOnce(sleep1Threshold: -1);
                }
            }
            var spinEnd = new SpinWait();
            while (Volatile.Read(ref read) < events) spinEnd.SpinOnce(sleep1Threshold: -1);
            var elapsed = Stopwatch.GetElapsedTime(start);
            var (cpu1, sw1) = Self();
            return (elapsed.TotalNanoseconds / events, (cpu1 - cpu0) / 1e6, sw1 - sw0);
        });
        Volatile.Write(ref stop, true);
        reader.Join();
        // A "batch" here is a run of reads between two empty polls.
        return new Result(events, result.Item1, (double)events / Math.Max(1, batches), result.Item2, consumerCpuNs / 1e6, result.Item3, consumerSwitches);
    }

    /// <summary>
    /// Two threads pinned to CPUs 0 and 1 bounce a counter on one cache line, timed in chunks of 100 round trips; ns per
    /// round trip of the 10th-percentile chunk (a chunk in which either thread was preempted is far slower, so the low
    /// percentiles are the hardware's hand-over, the rest the scheduler's).
    /// </summary>
    private static double PingPong(int trips)
    {
        const int Chunk = 100;
        var line = new long[32];
        var other = new Thread(() =>
        {
            ThreadAffinity.PinCurrentThread(1);
            ref var slot = ref line[16];
            for (long expect = 1; expect < 2L * trips; expect += 2)
            {
                while (Volatile.Read(ref slot) != expect) { }
                Volatile.Write(ref slot, expect + 1);
            }
        }) { IsBackground = true, Name = "ping-pong" };
        other.Start();
        var chunks = OnThread(0, () =>
        {
            ref var slot = ref line[16];
            var times = new double[trips / Chunk];
            long next = 1;
            for (var c = 0; c < times.Length; c++)
            {
                var start = Stopwatch.GetTimestamp();
                for (var t = 0; t < Chunk; t++, next += 2)
                {
                    Volatile.Write(ref slot, next);
                    while (Volatile.Read(ref slot) != next + 1) { }
                }
                times[c] = Stopwatch.GetElapsedTime(start).TotalNanoseconds / Chunk;
            }
            return times;
        });
        other.Join();
        Array.Sort(chunks);
        return chunks[chunks.Length / 10];
    }

    private static T OnThread<T>(int cpu, Func<T> body)
    {
        T result = default!;
        var thread = new Thread(() =>
        {
            if (cpu >= 0) ThreadAffinity.PinCurrentThread(cpu);
            result = body();
        }) { Name = "placement producer" };
        thread.Start();
        thread.Join();
        return result;
    }

    /// <summary>The calling thread's CPU time (ns) and involuntary context switches so far.</summary>
    private static (long CpuNs, long Involuntary) Self() => (ThreadCpu.Nanoseconds(), Involuntary("/proc/thread-self/status"));

    private static long Involuntary(string status)
    {
        try
        {
            foreach (var line in File.ReadLines(status))
                if (line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                    return long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim(), CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
        }
        return 0;
    }

    private static string Load()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "?"; }
    }

    /// <summary>The consumer thread's CPU and switches, read through /proc/self/task/TID, and its handler's batch count.</summary>
    private sealed class ThreadStats
    {
        private Func<long> _batches = () => 0;
        private string? _task;

        public long Batches => _batches();

        public static ThreadStats Of<T, THandler, TWait>(BatchEventProcessor<T, THandler, TWait> processor)
            where T : struct
            where THandler : struct, IPlacementHandler<T, THandler>
            where TWait : struct, IWaitStrategy
        {
            var stats = new ThreadStats { _batches = () => THandler.ReadBatches(ref processor.Handler) };
            foreach (var task in Directory.GetDirectories("/proc/self/task"))
            {
                try
                {
                    if (File.ReadAllText(Path.Combine(task, "comm")).Trim() == "placement consu") stats._task = task;
                }
                catch (IOException)
                {
                }
            }
            return stats;
        }

        public (long CpuNs, long Involuntary) Read()
        {
            if (_task is null) return (0, 0);
            var schedstat = File.ReadAllText(Path.Combine(_task, "schedstat")).Split(' ');
            return (long.Parse(schedstat[0], CultureInfo.InvariantCulture), Involuntary(Path.Combine(_task, "status")));
        }
    }

    /// <summary>Sums the events and counts the batches (calls with endOfBatch).</summary>
    /// <summary>A consumer's handler that counts its batches, and how the producer writes its slot type.</summary>
    private interface IPlacementHandler<T, TSelf> : IEventHandler<T>
        where T : struct
        where TSelf : struct, IPlacementHandler<T, TSelf>
    {
        static abstract void Write(ref T slot, long sequence, long price);

        static abstract long ReadBatches(ref TSelf handler);
    }

    private struct CountingHandler : IPlacementHandler<Command, CountingHandler>
    {
        public static void Write(ref Command slot, long sequence, long price)
        {
            slot.Sequence = sequence;
            slot.Price = price;
        }

        public static long ReadBatches(ref CountingHandler handler) => Volatile.Read(ref handler.Batches);

        public long Sum;
        public long Batches;

        public void OnEvent(ref Command data, long sequence, bool endOfBatch)
        {
            Sum += data.Price;
            if (endOfBatch) Volatile.Write(ref Batches, Batches + 1);
        }
    }

    private readonly struct YieldPause : IWaitStrategy
    {
        public bool IsBlockingStrategy => false;

        public long WaitFor(long sequence, SequenceBarrier barrier)
        {
            int counter = 100;
            long available;
            while ((available = barrier.DependentValue) < sequence)
            {
                if (barrier.IsAlerted) return available;
                if (counter > 0) { counter--; Thread.SpinWait(1); }
                else Thread.Yield();
            }
            return available;
        }

        public void SignalAllWhenBlocking() { }
    }

    private readonly struct YieldNow : IWaitStrategy
    {
        public bool IsBlockingStrategy => false;

        public long WaitFor(long sequence, SequenceBarrier barrier)
        {
            long available;
            while ((available = barrier.DependentValue) < sequence)
            {
                if (barrier.IsAlerted) return available;
                Thread.Yield();
            }
            return available;
        }

        public void SignalAllWhenBlocking() { }
    }

    private readonly struct PauseSpin : IWaitStrategy
    {
        public bool IsBlockingStrategy => false;

        public long WaitFor(long sequence, SequenceBarrier barrier)
        {
            long available;
            int counter = 0;
            while ((available = barrier.DependentValue) < sequence)
            {
                if (barrier.IsAlerted) return available;
                if (++counter < 1000) Thread.SpinWait(64);
                else Thread.Yield();
            }
            return available;
        }

        public void SignalAllWhenBlocking() { }
    }

    /// <summary>A command in a 128-byte slot, so no two slots share a cache line (a <see cref="Command"/> is 80 bytes).</summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential, Size = 128)]
    private struct PaddedCommand
    {
        public Command Command;
    }

    private struct PaddedHandler : IPlacementHandler<PaddedCommand, PaddedHandler>
    {
        public static void Write(ref PaddedCommand slot, long sequence, long price)
        {
            slot.Command.Sequence = sequence;
            slot.Command.Price = price;
        }

        public static long ReadBatches(ref PaddedHandler handler) => Volatile.Read(ref handler.Batches);

        public long Sum;
        public long Batches;

        public void OnEvent(ref PaddedCommand data, long sequence, bool endOfBatch)
        {
            Sum += data.Command.Price;
            if (endOfBatch) Volatile.Write(ref Batches, Batches + 1);
        }
    }
}
