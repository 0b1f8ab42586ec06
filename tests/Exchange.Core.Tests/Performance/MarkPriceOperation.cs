using Exchange.Core.Commands;
using Exchange.Core.Instruments;
using Exchange.Core.Tests.Support;

namespace Exchange.Core.Tests.Performance;

/// <summary>
/// Mirrors of perf/Exchange.Benchmarks/MarkPriceBenchmarks.cs with 10,000 accounts (the benchmark also runs 100k and
/// 1M; the budget is per operation, whatever the population): each long 10 lots against one market maker, 0.1% of
/// them close to liquidation. Single-threaded: measured on the test thread.
/// </summary>
internal sealed class MarkPriceOperation : BudgetedOperation
{
    private const long Usd = 1_000_000;
    private const int Accounts = 10_000;
    private readonly Exchange _x;
    private readonly bool _gap;
    private readonly int[] _atRisk;
    private long _sequence;
    private bool _up;

    public MarkPriceOperation(string method) : base("MarkPriceBenchmarks." + method)
    {
        _gap = method switch
        {
            "MarkUpdate_NoTrigger" => false,
            "MarkGap_LiquidatesAtRisk" => true,
            _ => throw new ArgumentException(method),
        };
        _x = new Exchange(new ExchangeOptions { MaxInstruments = 1, AccountCapacity = Accounts + 2, OrderCapacity = 4096 });
        _x.AddInstrument(new InstrumentSpec
        {
            Name = "BTC-PERP", TickValue = 500, ImrPpm = 100_000, MmrPpm = 50_000, MakerFeePpm = 0, TakerFeePpm = 0,
            LiquidationFeePpm = 10_000, BandPpm = 100_000, LiquidationBandPpm = 75_000,
            MaxPrice = 1_000_000, MaxOrderLots = 100_000_000, MaxPositionLots = 1_000_000_000,
        });
        Do(Command.DepositTo(1, 1_000_000_000 * Usd));
        Do(Command.Mark(0, 120_000));
        Do(Command.Limit(1, 0, Side.Sell, 120_000, 10L * Accounts));
        var risky = new List<int>();
        for (var a = 2; a < Accounts + 2; a++)
        {
            var atRisk = a % 1000 == 0;
            if (atRisk) risky.Add(a);
            Do(Command.DepositTo(a, (atRisk ? 62 : 200) * Usd));
            Do(Command.Limit(a, 0, Side.Buy, 120_000, 10));
        }
        _atRisk = risky.ToArray();
    }

    public override int OperationsPerRun => _gap ? 1 : 2_000;

    public override void WarmUp()
    {
        for (var i = 0; i < 20; i++)
        {
            if (_gap) { Reopen(); Gap(); }
            else for (var k = 0; k < OperationsPerRun; k++) Update();
        }
    }

    public override IReadOnlyList<(string Thread, long Bytes)> Measure()
    {
        if (!_gap)
            return [("test thread", Allocations.Fewest(() => { for (var k = 0; k < OperationsPerRun; k++) Update(); }))];
        // Each gap needs the at-risk accounts reopened first, outside the measurement (BenchmarkDotNet's IterationSetup).
        var fewest = long.MaxValue;
        for (var run = 0; run < 3 && fewest != 0; run++)
        {
            Reopen();
            fewest = Math.Min(fewest, Allocations.Fewest(Gap, runs: 1));
        }
        return [("test thread", fewest)];
    }

    private void Update()
    {
        _up = !_up;
        Do(Command.Mark(0, _up ? 120_001 : 120_000));
    }

    private void Gap()
    {
        Do(Command.Mark(0, 113_000));
        if (_x.PositionQty(_atRisk[^1], 0) != 0) throw new InvalidOperationException("not liquidated");
    }

    private void Reopen()
    {
        Do(Command.Mark(0, 120_000));
        if (_x.PositionQty(_atRisk[0], 0) != 0) return;
        Do(Command.CancelAllOrders(1));
        Do(Command.Limit(1, 0, Side.Sell, 120_000, 10L * _atRisk.Length));
        foreach (var a in _atRisk)
        {
            var balance = _x.Balance(a);
            if (balance > 0) Do(Command.WithdrawFrom(a, balance));
            Do(Command.DepositTo(a, 62 * Usd));
            Do(Command.Limit(a, 0, Side.Buy, 120_000, 10));
        }
        Do(Command.Limit(1, 0, Side.Buy, 110_000, 10L * _atRisk.Length));
    }

    private void Do(Command c)
    {
        c.Sequence = ++_sequence;
        _x.Apply(in c);
    }
}
