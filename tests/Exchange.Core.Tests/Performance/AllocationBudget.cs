using System.Text.Json;

namespace Exchange.Core.Tests.Performance;

/// <summary>
/// The allowed bytes per operation of each hot-path benchmark, read from perf/Exchange.Benchmarks/allocation-budget.json
/// (the file perf/check-allocations.sh checks BenchmarkDotNet's figures against). The file is found by walking up
/// from the test binaries to the repository root, so the test project needs no copy of it.
/// </summary>
internal sealed class AllocationBudget
{
    public const string RelativePath = "perf/Exchange.Benchmarks/allocation-budget.json";

    private static readonly Lazy<AllocationBudget> Shared = new(Read);

    private AllocationBudget(IReadOnlyDictionary<string, long> budgets, IReadOnlySet<string> exempt)
    {
        Budgets = budgets;
        Exempt = exempt;
    }

    /// <summary>"Class.Method" to allowed bytes per operation.</summary>
    public IReadOnlyDictionary<string, long> Budgets { get; }

    /// <summary>Benchmarks deliberately left out of the budget (not on the hot path).</summary>
    public IReadOnlySet<string> Exempt { get; }

    public static AllocationBudget Load() => Shared.Value;

    private static AllocationBudget Read()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Locate()));
        var budgets = new Dictionary<string, long>();
        foreach (var entry in json.RootElement.GetProperty("budgets").EnumerateArray())
            budgets.Add(entry.GetProperty("benchmark").GetString()!, entry.GetProperty("bytesPerOp").GetInt64());
        var exempt = new HashSet<string>();
        if (json.RootElement.TryGetProperty("exempt", out var list))
            foreach (var entry in list.EnumerateArray()) exempt.Add(entry.GetProperty("benchmark").GetString()!);
        return new AllocationBudget(budgets, exempt);
    }

    private static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, RelativePath);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"{RelativePath} not found above {AppContext.BaseDirectory}");
    }
}
