using Exchange.Benchmarks;
using Exchange.Core.Tests.Support;

namespace Exchange.Core.Tests.Performance;

/// <summary>
/// perf/Exchange.Benchmarks/LiquidationBenchmarks.cs itself with 10,000 winners under one loss policy: a bankrupt
/// account liquidated by ADL (or ADL at the mark and a socialized shortfall) on the test thread, each run after the
/// benchmark's own iteration setup.
/// </summary>
internal sealed class LiquidationOperation : BudgetedOperation
{
    private readonly LiquidationBenchmarks _benchmark;

    public LiquidationOperation(LossPolicy policy) : base($"LiquidationBenchmarks.MarkGap_BankruptAgainstWinners(Policy={policy})")
    {
        _benchmark = new LiquidationBenchmarks { Winners = 10_000, Policy = policy };
        _benchmark.Setup();
    }

    public LiquidationBenchmarks Benchmark => _benchmark;

    public override int OperationsPerRun => 1;

    public override void WarmUp()
    {
        for (var i = 0; i < 10; i++)
        {
            _benchmark.Reopen();
            _benchmark.MarkGap_BankruptAgainstWinners();
        }
    }

    public override IReadOnlyList<(string Thread, long Bytes)> Measure()
    {
        var fewest = long.MaxValue;
        for (var run = 0; run < 3 && fewest != 0; run++)
        {
            _benchmark.Reopen();
            fewest = Math.Min(fewest, Allocations.Fewest(() => _benchmark.MarkGap_BankruptAgainstWinners(), runs: 1));
        }
        return [("test thread", fewest)];
    }
}
