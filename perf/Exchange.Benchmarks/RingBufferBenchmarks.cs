using BenchmarkDotNet.Attributes;
using Exchange.Core.Commands;
using Exchange.Core.Pipeline;

namespace Exchange.Benchmarks;

/// <summary>
/// One producer, one consumer on its own thread: the benchmark thread publishes <see cref="Events"/> events one by
/// one and returns when the consumer has handled the last, so the time per operation is the sustained cost of
/// moving one event through the ring (its inverse is the throughput). Slots are <see cref="Command"/>s, as on the
/// input ring. One benchmark per wait strategy.
/// </summary>
[MemoryDiagnoser]
public class RingBufferBenchmarks
{
    private const int Events = 1_000_000;
    private const int BufferSize = 64 * 1024;

    private RingBuffer<Command> _busySpinRing = null!;
    private BatchEventProcessor<Command, SumHandler, BusySpinWaitStrategy> _busySpin = null!;
    private RingBuffer<Command> _yieldingRing = null!;
    private BatchEventProcessor<Command, SumHandler, YieldingWaitStrategy> _yielding = null!;
    private RingBuffer<Command> _blockingRing = null!;
    private BatchEventProcessor<Command, SumHandler, BlockingWaitStrategy> _blocking = null!;

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

    [Benchmark(OperationsPerInvoke = Events, Baseline = true)]
    public long BusySpin() => PublishAndDrain(_busySpinRing, _busySpin.Sequence);

    [Benchmark(OperationsPerInvoke = Events)]
    public long Yielding() => PublishAndDrain(_yieldingRing, _yielding.Sequence);

    [Benchmark(OperationsPerInvoke = Events)]
    public long Blocking() => PublishAndDrain(_blockingRing, _blocking.Sequence);

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

    private static (RingBuffer<Command>, BatchEventProcessor<Command, SumHandler, TWait>) Start<TWait>(TWait waitStrategy)
        where TWait : struct, IWaitStrategy
    {
        var ring = RingBuffer<Command>.CreateSingleProducer(BufferSize, waitStrategy);
        var processor = new BatchEventProcessor<Command, SumHandler, TWait>(ring, ring.NewBarrier(), default);
        ring.AddGatingSequences(processor.Sequence);
        processor.Start("benchmark consumer");
        return (ring, processor);
    }

    private static void Stop<TWait>(BatchEventProcessor<Command, SumHandler, TWait> processor)
        where TWait : struct, IWaitStrategy
    {
        processor.Halt();
        if (!processor.WaitForShutdown(TimeSpan.FromSeconds(10)))
            throw new InvalidOperationException("The benchmark consumer did not stop.");
    }

    /// <summary>Touches every event so the consumer's work cannot be optimised away.</summary>
    private struct SumHandler : IEventHandler<Command>
    {
        public long Sum;

        public void OnEvent(ref Command data, long sequence, bool endOfBatch) => Sum += data.Price;
    }
}
