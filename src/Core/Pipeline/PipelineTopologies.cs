namespace Exchange.Core.Pipeline;

/// <summary>Which <see cref="PipelineTopology"/> suits a machine: the one rule the gateway's <c>auto</c> and the load test use.</summary>
public static class PipelineTopologies
{
    /// <summary>
    /// The fewest logical CPUs for which <see cref="ForCpus"/> picks <see cref="PipelineTopology.Parallel"/>: its three
    /// always-runnable threads (journaler, business logic, output) plus a producer need that many cores to themselves.
    /// With fewer, a runnable stage waits for another's scheduler slice, milliseconds at the tail (docs/benchmarks.md,
    /// "Tails at 1M/s").
    /// </summary>
    public const int ParallelMinimumCpus = 4;

    /// <summary>The topology for this machine: <see cref="ForCpus"/> of <see cref="Environment.ProcessorCount"/>.</summary>
    public static PipelineTopology ForThisMachine() => ForCpus(Environment.ProcessorCount);

    /// <summary>
    /// <see cref="PipelineTopology.SingleThread"/> below <see cref="ParallelMinimumCpus"/> logical CPUs, else
    /// <see cref="PipelineTopology.Parallel"/>. Only a count: it cannot tell whether the cores are free, so a busy machine
    /// with more cores may still do better with the single thread.
    /// </summary>
    public static PipelineTopology ForCpus(int cpus) =>
        cpus < ParallelMinimumCpus ? PipelineTopology.SingleThread : PipelineTopology.Parallel;
}
