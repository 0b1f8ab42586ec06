namespace Exchange.LoadTest;

/// <summary>What the generator saw while applying the workload.</summary>
internal sealed record WorkloadStats
{
    public required long[] PerKind { get; init; }
    public required long Traded { get; init; }
    public required long Rejected { get; init; }
    public required long Liquidations { get; init; }
    public required double MeanOrdersPerBook { get; init; }
    public required double MeanLevelsPerBook { get; init; }
    public required TimeSpan GenerationTime { get; init; }
}
