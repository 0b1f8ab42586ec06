using BenchmarkDotNet.Attributes;
using Exchange.Core;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Instruments;
using Exchange.Core.Journal;
using Exchange.Core.Pipeline;

namespace Exchange.Benchmarks;

/// <summary>
/// Commands through the whole <see cref="ExchangePipeline"/>: the benchmark thread publishes <see cref="Commands"/>
/// commands (retrying while the input ring is full) and returns when the output handler has received the last, so the
/// time per operation is the sustained cost of one command from publish through the business logic to the output
/// handler (its inverse is the throughput). The commands cycle through two trades, a resting order and its cancel,
/// so the state stays the same size. Yielding waits (the better choice on a machine with fewer cores than busy
/// threads); with the journal, fsync is off, so it measures the journaler's encoding and writes, not the disk.
/// <see cref="SnapshotWrite"/> measures the pause a snapshot costs the business-logic thread.
/// </summary>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    private const int Commands = 100_000;
    private const int Accounts = 10_000;

    private Exchange.Core.Exchange _exchange = null!;
    private ExchangePipeline _pipeline = null!;
    private CountingOutput _output = null!;
    private Command[] _cycle = null!;
    private string? _journalDirectory;
    private long _published;

    [GlobalSetup(Target = nameof(JournalOff))]
    public void SetupJournalOff() => Start(journal: false);

    [GlobalSetup(Target = nameof(JournalOn))]
    public void SetupJournalOn() => Start(journal: true);

    [GlobalCleanup(Targets = [nameof(JournalOff), nameof(JournalOn)])]
    public void Cleanup()
    {
        _pipeline.Dispose();
        if (_journalDirectory is not null)
            Directory.Delete(_journalDirectory, recursive: true);
    }

    /// <summary>Bounds the disk the journaled benchmark fills: closed journal files are deleted between iterations.</summary>
    [IterationCleanup(Target = nameof(JournalOn))]
    public void DeleteClosedJournalFiles()
    {
        var files = Directory.GetFiles(_journalDirectory!, "journal-*.log");
        Array.Sort(files, StringComparer.Ordinal);
        for (int i = 0; i < files.Length - 1; i++)
            File.Delete(files[i]);
    }

    [Benchmark(OperationsPerInvoke = Commands, Baseline = true)]
    public long JournalOff() => PublishAndDrain();

    [Benchmark(OperationsPerInvoke = Commands)]
    public long JournalOn() => PublishAndDrain();

    [GlobalSetup(Target = nameof(SnapshotWrite))]
    public void SetupSnapshot()
    {
        // 10,000 accounts, each with a position and a resting order: 10,000 positions and 10,000 orders to serialize.
        _exchange = NewExchange();
        long sequence = 0;
        Apply(_exchange, Command.Mark(0, 120_000), ref sequence);
        for (int a = 1; a <= Accounts; a++)
            Apply(_exchange, Command.DepositTo(a, 1_000_000_000_000), ref sequence);
        for (int a = 1; a < Accounts; a += 2)
        {
            Apply(_exchange, Command.Limit(a, 0, Side.Sell, 120_000, 1 + a % 7), ref sequence);
            Apply(_exchange, Command.Limit(a + 1, 0, Side.Buy, 120_000, 1 + a % 7, TimeInForce.Ioc), ref sequence);
        }

        for (int a = 1; a <= Accounts; a++)
            Apply(_exchange, Command.Limit(a, 0, a % 2 == 0 ? Side.Buy : Side.Sell, a % 2 == 0 ? 119_000 - a % 500 : 121_000 + a % 500, 1), ref sequence);
    }

    [Benchmark(Description = "snapshot serialize (10k accounts, 10k positions, 10k orders)")]
    public int SnapshotWrite() => SnapshotCodec.Write(_exchange).Length;

    private long PublishAndDrain()
    {
        var pipeline = _pipeline;
        var cycle = _cycle;
        long target = _published + Commands;
        for (int i = 0; i < Commands; i++)
        {
            while (!pipeline.TryPublish(cycle[i % cycle.Length], correlation: i, out _))
                Thread.Yield();
        }

        _published = target;
        while (_output.Delivered < target)
            Thread.Yield();
        return target;
    }

    private void Start(bool journal)
    {
        _exchange = NewExchange();
        _output = new CountingOutput();
        if (journal)
            _journalDirectory = Path.Combine(Path.GetTempPath(), "exchange-pipeline-bench-" + Guid.NewGuid().ToString("N"));
        var options = new PipelineOptions
        {
            InputRingSize = 64 * 1024,
            OutputRingSize = 64 * 1024,
            WaitStrategy = WaitStrategyKind.Yielding,
            Journal = journal ? new JournalOptions { Directory = _journalDirectory!, Fsync = FsyncPolicy.Never } : null,
        };
        _pipeline = new ExchangePipeline(_exchange, options, _output);
        _pipeline.Start();

        Command[] setup = [Command.Mark(0, 120_000), Command.DepositTo(1, 1_000_000_000_000), Command.DepositTo(2, 1_000_000_000_000), Command.DepositTo(3, 1_000_000_000_000)];
        foreach (var command in setup)
        {
            while (!_pipeline.TryPublish(command, 0, out _))
                Thread.Yield();
        }

        _published = setup.Length;
        while (_output.Delivered < _published)
            Thread.Yield();

        // Two trades that leave both accounts flat, then an order that rests and is cancelled by its client id.
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

    private static Exchange.Core.Exchange NewExchange()
    {
        var exchange = new Exchange.Core.Exchange(new ExchangeOptions { MaxInstruments = 1, AccountCapacity = Accounts + 1, OrderCapacity = 1 << 15 });
        exchange.AddInstrument(new InstrumentSpec
        {
            Name = "BTC-PERP", TickValue = 500, ImrPpm = 100_000, MmrPpm = 50_000, MakerFeePpm = -100, TakerFeePpm = 500,
            LiquidationFeePpm = 10_000, BandPpm = 100_000, LiquidationBandPpm = 75_000,
            MaxPrice = 10_000_000, MaxOrderLots = 1_000_000, MaxPositionLots = 100_000_000,
        });
        return exchange;
    }

    private static void Apply(Exchange.Core.Exchange exchange, Command command, ref long sequence)
    {
        command.Sequence = ++sequence;
        exchange.Apply(in command);
    }

    /// <summary>Counts deliveries; the benchmark thread polls the count.</summary>
    private sealed class CountingOutput : IOutputHandler
    {
        private long _delivered;
        private long _events;

        public long Delivered => Volatile.Read(ref _delivered);

        public void OnEvents(long commandSequence, long correlation, ReadOnlySpan<Event> events)
        {
            _events += events.Length;
            Volatile.Write(ref _delivered, _delivered + 1);
        }
    }
}
