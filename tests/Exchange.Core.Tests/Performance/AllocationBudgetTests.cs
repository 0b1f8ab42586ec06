using Exchange.Core.Pipeline;

namespace Exchange.Core.Tests.Performance;

/// <summary>
/// Every hot-path benchmark listed in perf/Exchange.Benchmarks/allocation-budget.json, mirrored in-process and warmed
/// up, allocates no more than its budget per operation on each thread the test can observe. The same file is what
/// perf/check-allocations.sh holds BenchmarkDotNet's Allocated column to, so the two cannot drift apart: a budgeted
/// benchmark without a mirror here fails, and so does a mirror without a budget.
/// </summary>
public class AllocationBudgetTests
{
    private static readonly Dictionary<string, Func<IEnumerable<BudgetedOperation>>> Mirrors = new()
    {
        ["BookBenchmarks.PlaceAndCancel"] = () => BookOperation.Create("PlaceAndCancel"),
        ["BookBenchmarks.Move"] = () => BookOperation.Create("Move"),
        ["BookBenchmarks.SweepAndRefill"] = () => BookOperation.Create("SweepAndRefill"),
        ["BookBenchmarks.MarginCheck"] = () => BookOperation.Create("MarginCheck"),
        ["BookBenchmarks.MarginCheckWalk"] = () => BookOperation.Create("MarginCheckWalk"),
        ["MarkPriceBenchmarks.MarkUpdate_NoTrigger"] = () => [new MarkPriceOperation("MarkUpdate_NoTrigger")],
        ["MarkPriceBenchmarks.MarkGap_LiquidatesAtRisk"] = () => [new MarkPriceOperation("MarkGap_LiquidatesAtRisk")],
        ["LiquidationBenchmarks.MarkGap_BankruptAgainstWinners"] = () =>
            [new LiquidationOperation(LossPolicy.Adl), new LiquidationOperation(LossPolicy.Socialize)],
        ["RingBufferBenchmarks.BusySpin"] = () => [new RingBufferOperation<BusySpinWaitStrategy>("RingBufferBenchmarks.BusySpin", new BusySpinWaitStrategy())],
        ["RingBufferBenchmarks.Yielding"] = () => [new RingBufferOperation<YieldingWaitStrategy>("RingBufferBenchmarks.Yielding", new YieldingWaitStrategy())],
        ["RingBufferBenchmarks.Blocking"] = () => [new RingBufferOperation<BlockingWaitStrategy>("RingBufferBenchmarks.Blocking", new BlockingWaitStrategy())],
        ["RingBufferBenchmarks.YieldingBatch"] = () => [new RingBufferOperation<YieldingWaitStrategy>("RingBufferBenchmarks.YieldingBatch", new YieldingWaitStrategy(), batch: 64)],
        ["JournalBenchmarks.AppendBatchAndCommit"] = () => [new JournalOperation()],
        ["PipelineBenchmarks.JournalOff"] = () => [new PipelineOperation(journal: false)],
        ["PipelineBenchmarks.JournalOn"] = () => [new PipelineOperation(journal: true)],
        ["SessionBenchmarks.Command"] = SessionOperation.Create,
    };

    public static TheoryData<string> Budgeted() => new(AllocationBudget.Load().Budgets.Keys.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Budgeted))]
    public void BudgetedHotPathOperation_WarmedUp_AllocatesWithinItsBudget(string benchmark)
    {
        var budget = AllocationBudget.Load().Budgets[benchmark];
        Assert.True(Mirrors.TryGetValue(benchmark, out var create),
            $"{benchmark} is budgeted in {AllocationBudget.RelativePath} but has no in-process mirror in {nameof(AllocationBudgetTests)}");
        foreach (var operation in create())
        {
            using (operation)
            {
                operation.WarmUp();
                foreach (var (thread, bytes) in operation.Measure())
                    Assert.True(bytes <= budget * operation.OperationsPerRun,
                        $"{operation.Name}: the {thread} allocated {bytes:N0} B over {operation.OperationsPerRun:N0} operations; budget {budget} B per operation");
            }
        }
    }

    [Fact]
    public void EveryMirroredOperation_IsBudgeted_NotExempt()
    {
        var budget = AllocationBudget.Load();
        foreach (var name in Mirrors.Keys)
        {
            Assert.True(budget.Budgets.ContainsKey(name), $"{name} is mirrored here but missing from {AllocationBudget.RelativePath}");
            Assert.DoesNotContain(name, budget.Exempt);
        }
    }
}
