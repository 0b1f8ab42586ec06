using Exchange.Core.Commands;
using Exchange.Core.Pipeline;
using Exchange.Core.Tests.Support;

namespace Exchange.Core.Tests.Performance;

/// <summary>
/// Mirror of perf/Exchange.Benchmarks/RingBufferBenchmarks.cs: one producer (the test thread) publishes commands one
/// by one (or <c>batch</c> slots per claim and publish) to a consumer on its own thread, per wait strategy. Both threads are measured: the producer with
/// <see cref="Allocations.Fewest"/>, the consumer by a <see cref="ThreadProbe"/> in its handler.
/// </summary>
internal sealed class RingBufferOperation<TWait> : BudgetedOperation
    where TWait : struct, IWaitStrategy
{
    private const int Events = 20_480; // a multiple of every batch size used
    private readonly RingBuffer<Command> _ring;
    private readonly BatchEventProcessor<Command, ProbedHandler, TWait> _consumer;
    private readonly ThreadProbe _probe = new();
    private readonly int _batch;
    private long _next;

    public RingBufferOperation(string name, TWait waitStrategy, int batch = 1) : base(name)
    {
        _batch = batch;
        _ring = RingBuffer<Command>.CreateSingleProducer(64 * 1024, waitStrategy);
        _consumer = new BatchEventProcessor<Command, ProbedHandler, TWait>(_ring, _ring.NewBarrier(), new ProbedHandler(_probe));
        _ring.AddGatingSequences(_consumer.Sequence);
        _consumer.Start("allocation test consumer");
    }

    public override int OperationsPerRun => Events;

    public override void WarmUp()
    {
        for (var i = 0; i < 10; i++) Run();
    }

    public override IReadOnlyList<(string Thread, long Bytes)> Measure()
    {
        var producer = Allocations.Fewest(Run);
        return [("producer (test thread)", producer), ("consumer thread", _probe.Fewest)];
    }

    private void Run()
    {
        _probe.Arm(_next, _next + Events - 1);
        for (var i = 0; i < Events; i += _batch)
        {
            var hi = _ring.Next(_batch);
            for (var sequence = hi - _batch + 1; sequence <= hi; sequence++)
            {
                ref var command = ref _ring[sequence];
                command.Sequence = sequence;
                command.Price = i;
            }
            _ring.Publish(hi - _batch + 1, hi);
        }
        _next += Events;
        _probe.WaitForRun();
    }

    public override void Dispose()
    {
        _consumer.Halt();
        _consumer.WaitForShutdown(TimeSpan.FromSeconds(10));
    }

    /// <summary>Touches every event, as the benchmark's handler does, with the probe around it.</summary>
    private struct ProbedHandler(ThreadProbe probe) : IEventHandler<Command>
    {
        private long _sum;

        public void OnEvent(ref Command data, long sequence, bool endOfBatch)
        {
            probe.OnItem(sequence, after: false);
            _sum += data.Price;
            probe.OnItem(sequence, after: true);
        }
    }
}
