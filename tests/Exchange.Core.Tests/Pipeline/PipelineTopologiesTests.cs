using Exchange.Core.Pipeline;

namespace Exchange.Core.Tests.Pipeline;

public class PipelineTopologiesTests
{
    [Theory]
    [InlineData(1, PipelineTopology.SingleThread)]
    [InlineData(2, PipelineTopology.SingleThread)]
    [InlineData(3, PipelineTopology.SingleThread)]
    [InlineData(4, PipelineTopology.Parallel)]
    [InlineData(64, PipelineTopology.Parallel)]
    public void ForCpus_FewerThanFour_PicksTheSingleThread(int cpus, PipelineTopology expected) =>
        Assert.Equal(expected, PipelineTopologies.ForCpus(cpus));

    [Fact]
    public void ForThisMachine_IsForCpusOfTheProcessorCount() =>
        Assert.Equal(PipelineTopologies.ForCpus(Environment.ProcessorCount), PipelineTopologies.ForThisMachine());
}
