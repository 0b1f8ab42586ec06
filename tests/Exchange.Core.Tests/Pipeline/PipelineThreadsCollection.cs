namespace Exchange.Core.Tests.Pipeline;

/// <summary>
/// Tests that run producer and consumer threads: run one at a time, after the parallel tests, so spinning threads
/// never compete with each other for the machine's cores (which makes timings, not results, vary).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PipelineThreadsCollection
{
    public const string Name = "Pipeline threads";
}
