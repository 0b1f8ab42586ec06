using Exchange.Benchmarks;
using Exchange.Core.Tests.Support;

namespace Exchange.Core.Tests.Performance;

/// <summary>
/// perf/Exchange.Benchmarks/BookBenchmarks.cs itself, set up and run in-process: a book of 1,000 resting orders over
/// 500 levels a side, 2,000 accounts, each operation through <see cref="Exchange.Apply"/>. Single-threaded: measured
/// on the test thread.
/// </summary>
internal sealed class BookOperation : BudgetedOperation
{
    private readonly Func<int> _operation;
    private readonly int _operations;

    private BookOperation(string name, string method, int sweepLevels, int operations) : base(name)
    {
        _operations = operations;
        var benchmark = new BookBenchmarks { SweepLevels = sweepLevels };
        benchmark.Setup();
        _operation = method switch
        {
            "PlaceAndCancel" => benchmark.PlaceAndCancel,
            "Move" => benchmark.Move,
            "SweepAndRefill" => benchmark.SweepAndRefill,
            "MarginCheck" => () => benchmark.MarginCheck() ? 1 : 0,
            "MarginCheckWalk" => () => benchmark.MarginCheckWalk() ? 1 : 0,
            _ => throw new ArgumentException(method),
        };
    }

    /// <summary>The operation; SweepAndRefill once per value of the benchmark's SweepLevels parameter.</summary>
    public static IEnumerable<BudgetedOperation> Create(string method)
    {
        if (method != "SweepAndRefill")
        {
            yield return new BookOperation("BookBenchmarks." + method, method, 1, 2_000);
            yield break;
        }
        foreach (var levels in new[] { 1, 10, 100 })
            yield return new BookOperation($"BookBenchmarks.SweepAndRefill(SweepLevels={levels})", method, levels, 200);
    }

    public override int OperationsPerRun => _operations;

    public override void WarmUp()
    {
        for (var i = 0; i < 20 * _operations; i++) _operation();
    }

    public override IReadOnlyList<(string Thread, long Bytes)> Measure() =>
        [("test thread", Allocations.Fewest(() =>
        {
            for (var i = 0; i < _operations; i++) _operation();
        }))];
}
