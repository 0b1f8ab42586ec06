using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Instruments;
using Exchange.Core.Journal;
using Exchange.Core.Pipeline;
using Exchange.Core.Tests.Support;

namespace Exchange.Core.Tests.Performance;

/// <summary>
/// Mirror of perf/Exchange.Benchmarks/PipelineBenchmarks.cs (JournalOff, JournalOn): the test thread publishes a
/// cycle of two trades, a resting order and its cancel through an <see cref="ExchangePipeline"/> and waits until the
/// output handler has them all. Measured: the producer (test thread) and the output thread (a probe in the output
/// handler). The business-logic and journaler threads run inside the pipeline where a thread-local counter cannot
/// reach them; perf/check-allocations.sh covers them (BenchmarkDotNet counts every thread).
/// </summary>
internal sealed class PipelineOperation : BudgetedOperation, IOutputHandler
{
    private const int Commands = 6_000;
    private readonly ExchangePipeline _pipeline;
    private readonly ThreadProbe _probe = new();
    private readonly string? _journal;
    private readonly Command[] _cycle;
    private long _published;
    private long _delivered;

    public PipelineOperation(bool journal) : base(journal ? "PipelineBenchmarks.JournalOn" : "PipelineBenchmarks.JournalOff")
    {
        var exchange = new Exchange(new ExchangeOptions { MaxInstruments = 1, AccountCapacity = 16, OrderCapacity = 1 << 12 });
        exchange.AddInstrument(new InstrumentSpec
        {
            Name = "BTC-PERP", TickValue = 500, ImrPpm = 100_000, MmrPpm = 50_000, MakerFeePpm = -100, TakerFeePpm = 500,
            LiquidationFeePpm = 10_000, BandPpm = 100_000, LiquidationBandPpm = 75_000,
            MaxPrice = 10_000_000, MaxOrderLots = 1_000_000, MaxPositionLots = 100_000_000,
        });
        if (journal) _journal = Path.Combine(Path.GetTempPath(), "exchange-alloc-pipeline-" + Guid.NewGuid().ToString("N"));
        _pipeline = new ExchangePipeline(exchange, new PipelineOptions
        {
            InputRingSize = 8 * 1024,
            OutputRingSize = 8 * 1024,
            WaitStrategy = WaitStrategyKind.Yielding,
            Journal = _journal is null ? null : new JournalOptions { Directory = _journal, Fsync = FsyncPolicy.Never },
        }, this);
        _pipeline.Start();
        Publish([Command.Mark(0, 120_000), Command.DepositTo(1, 1_000_000_000_000), Command.DepositTo(2, 1_000_000_000_000),
            Command.DepositTo(3, 1_000_000_000_000)], 4);
        _cycle =
        [
            Command.Limit(1, 0, Side.Sell, 120_000, 1),
            Command.Limit(2, 0, Side.Buy, 120_000, 1, TimeInForce.Ioc),
            Command.Limit(2, 0, Side.Sell, 120_000, 1),
            Command.Limit(1, 0, Side.Buy, 120_000, 1, TimeInForce.Ioc),
            Command.Limit(3, 0, Side.Buy, 119_000, 5, clientOrderId: 7),
            Command.CancelOrder(3, 0, clientOrderId: 7),
        ];
    }

    public override int OperationsPerRun => Commands;

    public override void WarmUp()
    {
        for (var i = 0; i < 10; i++) Run();
    }

    public override IReadOnlyList<(string Thread, long Bytes)> Measure()
    {
        var producer = Allocations.Fewest(Run);
        return [("producer (test thread)", producer), ("output thread", _probe.Fewest)];
    }

    private void Run()
    {
        _probe.Arm(_published, _published + Commands - 1);
        Publish(_cycle, Commands);
        _probe.WaitForRun();
    }

    private void Publish(Command[] commands, int count)
    {
        for (var i = 0; i < count; i++)
        {
            while (!_pipeline.TryPublish(commands[i % commands.Length], correlation: _published, out _))
                Thread.Yield();
            _published++;
        }
        while (Volatile.Read(ref _delivered) < _published)
        {
            if (_pipeline.Fault is not null) throw new InvalidOperationException("the pipeline faulted", _pipeline.Fault);
            Thread.Yield();
        }
    }

    public void OnEvents(long commandSequence, long correlation, ReadOnlySpan<Event> events)
    {
        _probe.OnItem(correlation, after: false);
        Volatile.Write(ref _delivered, _delivered + 1);
        _probe.OnItem(correlation, after: true);
    }

    public override void Dispose()
    {
        _pipeline.Dispose();
        if (_journal is not null) Directory.Delete(_journal, recursive: true);
    }
}
