using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Exchange.Core.Commands;
using Exchange.Core.Pipeline;

namespace Exchange.Benchmarks;

/// <summary>
/// One producer, one consumer on its own thread: the benchmark thread publishes <see cref="Events"/> events one by
/// one and returns when the consumer has handled the last, so the time per operation is the sustained cost of
/// moving one event through the ring (its inverse is the throughput). Slots are <see cref="Command"/>s, as on the
/// input ring. One benchmark per wait strategy, one that claims and publishes <see cref="Batch"/> slots at a time, and
/// the baseline: a bounded <see cref="Channel{T}"/> of the same capacity carrying the same commands, read by a
/// consumer thread that polls it as the yielding wait polls the ring (so neither side pays for a wake-up).
/// </summary>
/// <remarks>
/// <see cref="Placement"/> puts the two threads on two CPUs (the producer, the benchmark's thread, on CPU 0, the
/// consumer on CPU 1) or both on CPU 0. Left to the scheduler, the single-event figure moved 5x between runs minutes
/// apart on the 2-vCPU test VM (112 and 21 M/s): sharing one CPU the two threads take turns, the producer filling
/// the ring and the consumer draining a whole lap in one batch (the ring as a buffer, 6-16 ns per event); on two CPUs
/// every batch hands cache lines across, ~430 ns a round trip between this VM's vCPUs, and the consumer's batches are
/// tens of events (docs/benchmarks.md, "The ring's single-event figure: where its two threads run"). Both are
/// measured, each the same every run. With fewer than 2 CPUs, TwoCpus is not pinned.
/// </remarks>
[MemoryDiagnoser]
public class RingBufferBenchmarks
{
    /// <summary>Where the producer and the consumer run.</summary>
    public enum Threads
    {
        /// <summary>Producer on CPU 0, consumer on CPU 1: a hand-over between cores, as in a pipeline with a core per thread.</summary>
        TwoCpus,

        /// <summary>Both on CPU 0: they take turns.</summary>
        OneCpu,
    }

    [Params(Threads.TwoCpus, Threads.OneCpu)]
    public Threads Placement { get; set; }

    private ulong[]? _benchmarkThreadMask;

    private int ProducerCpu => Environment.ProcessorCount >= 2 ? 0 : -1;

    private int ConsumerCpu => Environment.ProcessorCount < 2 ? -1 : Placement == Threads.TwoCpus ? 1 : 0;

    // GlobalSetup and the benchmark run on the same thread: pin it as the producer, put it back in the cleanup.
    private void PinProducer()
    {
        _benchmarkThreadMask = ThreadAffinity.SaveCurrentThread();
        if (ProducerCpu >= 0) ThreadAffinity.PinCurrentThread(ProducerCpu);
    }

    private void UnpinProducer() => ThreadAffinity.RestoreCurrentThread(_benchmarkThreadMask);

    private const int Events = 1_000_000;
    private const int BufferSize = 64 * 1024;
    private const int Batch = 64;

    private RingBuffer<Command> _busySpinRing = null!;
    private BatchEventProcessor<Command, SumHandler, BusySpinWaitStrategy> _busySpin = null!;
    private RingBuffer<Command> _yieldingRing = null!;
    private BatchEventProcessor<Command, SumHandler, YieldingWaitStrategy> _yielding = null!;
    private RingBuffer<Command> _blockingRing = null!;
    private BatchEventProcessor<Command, SumHandler, BlockingWaitStrategy> _blocking = null!;
    private RingBuffer<Command> _batchRing = null!;
    private BatchEventProcessor<Command, SumHandler, YieldingWaitStrategy> _batch = null!;
    private Channel<Command> _channel = null!;
    private Thread _channelReader = null!;
    private long _channelRead;
    private volatile bool _channelStop;

    // Each strategy's consumer thread exists only during its own benchmark: an idle busy-spinning consumer would
    // take a core from the others.
    [GlobalSetup(Target = nameof(BusySpin))]
    public void SetupBusySpin() => (_busySpinRing, _busySpin) = Start<BusySpinWaitStrategy>(new BusySpinWaitStrategy());

    [GlobalCleanup(Target = nameof(BusySpin))]
    public void CleanupBusySpin() => Stop(_busySpin);

    [GlobalSetup(Target = nameof(Yielding))]
    public void SetupYielding() => (_yieldingRing, _yielding) = Start<YieldingWaitStrategy>(new YieldingWaitStrategy());

    [GlobalCleanup(Target = nameof(Yielding))]
    public void CleanupYielding() => Stop(_yielding);

    [GlobalSetup(Target = nameof(Blocking))]
    public void SetupBlocking() => (_blockingRing, _blocking) = Start<BlockingWaitStrategy>(new BlockingWaitStrategy());

    [GlobalCleanup(Target = nameof(Blocking))]
    public void CleanupBlocking() => Stop(_blocking);

    [GlobalSetup(Target = nameof(YieldingBatch))]
    public void SetupYieldingBatch() => (_batchRing, _batch) = Start<YieldingWaitStrategy>(new YieldingWaitStrategy());

    [GlobalCleanup(Target = nameof(YieldingBatch))]
    public void CleanupYieldingBatch() => Stop(_batch);

    [GlobalSetup(Target = nameof(Channel))]
    public void SetupChannel()
    {
        _channel = System.Threading.Channels.Channel.CreateBounded<Command>(new BoundedChannelOptions(BufferSize)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _channelStop = false;
        Volatile.Write(ref _channelRead, 0);
        PinProducer();
        var cpu = ConsumerCpu;
        _channelReader = new Thread(() =>
        {
            if (cpu >= 0) ThreadAffinity.PinCurrentThread(cpu);
            ReadChannel();
        }) { IsBackground = true, Name = "benchmark channel consumer" };
        _channelReader.Start();
    }

    [GlobalCleanup(Target = nameof(Channel))]
    public void CleanupChannel()
    {
        _channelStop = true;
        _channelReader.Join();
        UnpinProducer();
    }

    /// <summary>The baseline: the same commands through a bounded channel, written and read one at a time.</summary>
    [Benchmark(OperationsPerInvoke = Events, Baseline = true)]
    public long Channel()
    {
        var writer = _channel.Writer;
        var start = Volatile.Read(ref _channelRead);
        var command = default(Command);
        for (int i = 0; i < Events; i++)
        {
            command.Sequence = start + i;
            command.Price = i;
            if (!writer.TryWrite(command)) WriteWhenRoom(writer, command);
        }

        var spin = new SpinWait();
        while (Volatile.Read(ref _channelRead) < start + Events)
            spin.SpinOnce(sleep1Threshold: -1);
        return start + Events;
    }

    private static void WriteWhenRoom(ChannelWriter<Command> writer, Command command)
    {
        var spin = new SpinWait();
        while (!writer.TryWrite(command))
            spin.SpinOnce(sleep1Threshold: -1);
    }

    private void ReadChannel()
    {
        var reader = _channel.Reader;
        long sum = 0;
        var spin = new SpinWait();
        while (!_channelStop)
        {
            if (reader.TryRead(out var command))
            {
                sum += command.Price;
                Volatile.Write(ref _channelRead, _channelRead + 1);
                spin = default;
            }
            else
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }
        GC.KeepAlive(sum);
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public long BusySpin() => PublishAndDrain(_busySpinRing, _busySpin.Sequence);

    [Benchmark(OperationsPerInvoke = Events)]
    public long Yielding() => PublishAndDrain(_yieldingRing, _yielding.Sequence);

    [Benchmark(OperationsPerInvoke = Events)]
    public long Blocking() => PublishAndDrain(_blockingRing, _blocking.Sequence);

    /// <summary>Yielding wait, the producer claiming <see cref="Batch"/> slots at once and publishing the range.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public long YieldingBatch()
    {
        var ring = _batchRing;
        long hi = -1;
        for (int i = 0; i < Events; i += Batch)
        {
            hi = ring.Next(Batch);
            var lo = hi - Batch + 1;
            for (var s = lo; s <= hi; s++)
            {
                ref var command = ref ring[s];
                command.Sequence = s;
                command.Price = i + (s - lo);
            }
            ring.Publish(lo, hi);
        }

        var spin = new SpinWait();
        while (_batch.Sequence.Value < hi)
            spin.SpinOnce(sleep1Threshold: -1);
        return hi;
    }

    private static long PublishAndDrain(RingBuffer<Command> ring, Sequence consumed)
    {
        long sequence = -1;
        for (int i = 0; i < Events; i++)
        {
            sequence = ring.Next();
            ref var command = ref ring[sequence];
            command.Sequence = sequence;
            command.Price = i;
            ring.Publish(sequence);
        }

        var spin = new SpinWait();
        while (consumed.Value < sequence)
            spin.SpinOnce(sleep1Threshold: -1);
        return sequence;
    }

    private (RingBuffer<Command>, BatchEventProcessor<Command, SumHandler, TWait>) Start<TWait>(TWait waitStrategy)
        where TWait : struct, IWaitStrategy
    {
        PinProducer();
        var ring = RingBuffer<Command>.CreateSingleProducer(BufferSize, waitStrategy);
        var processor = new BatchEventProcessor<Command, SumHandler, TWait>(ring, ring.NewBarrier(), default);
        ring.AddGatingSequences(processor.Sequence);
        processor.Start("benchmark consumer", ConsumerCpu);
        return (ring, processor);
    }

    private void Stop<TWait>(BatchEventProcessor<Command, SumHandler, TWait> processor)
        where TWait : struct, IWaitStrategy
    {
        processor.Halt();
        if (!processor.WaitForShutdown(TimeSpan.FromSeconds(10)))
            throw new InvalidOperationException("The benchmark consumer did not stop.");
        if (processor.Fault is { } fault)
            throw new InvalidOperationException("The benchmark consumer failed.", fault);
        UnpinProducer();
    }

    /// <summary>Touches every event so the consumer's work cannot be optimised away.</summary>
    private struct SumHandler : IEventHandler<Command>
    {
        public long Sum;

        public void OnEvent(ref Command data, long sequence, bool endOfBatch) => Sum += data.Price;
    }
}
