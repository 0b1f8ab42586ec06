using Exchange.Benchmarks;
using Exchange.Core.Tests.Support;

namespace Exchange.Core.Tests.Performance;

/// <summary>
/// perf/Exchange.Benchmarks/MarkPriceBenchmarks.cs itself with 10,000 accounts (the benchmark also runs 100k and 1M;
/// the budget is per operation, whatever the population): each long 10 lots against one market maker, 0.1% of them
/// close to liquidation. Single-threaded: measured on the test thread.
/// </summary>
internal sealed class MarkPriceOperation : BudgetedOperation
{
    private readonly MarkPriceBenchmarks _benchmark = new() { Accounts = 10_000 };
    private readonly bool _gap;

    public MarkPriceOperation(string method) : base("MarkPriceBenchmarks." + method)
    {
        _gap = method switch
        {
            "MarkUpdate_NoTrigger" => false,
            "MarkGap_LiquidatesAtRisk" => true,
            _ => throw new ArgumentException(method),
        };
        _benchmark.Setup();
    }

    public override int OperationsPerRun => _gap ? 1 : 2_000;

    public override void WarmUp()
    {
        for (var i = 0; i < 20; i++)
        {
            if (_gap) { _benchmark.Reopen(); _benchmark.MarkGap_LiquidatesAtRisk(); }
            else for (var k = 0; k < OperationsPerRun; k++) _benchmark.MarkUpdate_NoTrigger();
        }
    }

    public override IReadOnlyList<(string Thread, long Bytes)> Measure()
    {
        if (!_gap)
            return [("test thread", Allocations.Fewest(() => { for (var k = 0; k < OperationsPerRun; k++) _benchmark.MarkUpdate_NoTrigger(); }))];
        // Each gap needs the at-risk accounts reopened first, outside the measurement (BenchmarkDotNet's IterationSetup).
        var fewest = long.MaxValue;
        for (var run = 0; run < 3 && fewest != 0; run++)
        {
            _benchmark.Reopen();
            fewest = Math.Min(fewest, Allocations.Fewest(() => _benchmark.MarkGap_LiquidatesAtRisk(), runs: 1));
        }
        return [("test thread", fewest)];
    }
}
