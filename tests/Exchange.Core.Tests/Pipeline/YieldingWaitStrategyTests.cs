using Exchange.Core.Pipeline;

namespace Exchange.Core.Tests.Pipeline;

public sealed class YieldingWaitStrategyTests
{
    [Fact]
    public void IsBlockingStrategy_Always_IsFalse() =>
        Assert.False(new YieldingWaitStrategy().IsBlockingStrategy);

    [Fact]
    public void WaitFor_PublishedByAnotherThread_ReturnsHighestPublished() =>
        WaitStrategyChecks.PublishedByAnotherThread_ReturnsIt(new YieldingWaitStrategy());

    [Fact]
    public void WaitFor_DependentBehindCursor_ReturnsOnceDependentCatchesUp() =>
        WaitStrategyChecks.DependentBehindCursor_WaitsForDependent(new YieldingWaitStrategy());
}
