namespace Exchange.Core.Tests.Performance;

/// <summary>
/// A hot-path benchmark run in-process: the single-threaded ones call the benchmark classes themselves; the threaded
/// ones mirror their setup with a probe in each consumer. Warmed up, then measured on every thread the test can observe.
/// </summary>
internal abstract class BudgetedOperation : IDisposable
{
    protected BudgetedOperation(string name) => Name = name;

    /// <summary>The benchmark and its parameters, for failure messages.</summary>
    public string Name { get; }

    /// <summary>Benchmark operations in one measured run: the budget is per operation.</summary>
    public abstract int OperationsPerRun { get; }

    /// <summary>Runs the operation until the JIT has settled and first-time growth is done.</summary>
    public abstract void WarmUp();

    /// <summary>The fewest bytes one run allocated, per observed thread.</summary>
    public abstract IReadOnlyList<(string Thread, long Bytes)> Measure();

    public virtual void Dispose()
    {
    }
}
