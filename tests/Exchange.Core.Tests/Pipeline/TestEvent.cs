namespace Exchange.Core.Tests.Pipeline;

/// <summary>The slot type of the pipeline tests.</summary>
public struct TestEvent
{
    public long Value;
    /// <summary>Written by the first consumer of a chain, read by the second.</summary>
    public long Stage1;
}
