using Exchange.Core.Pipeline;

namespace Exchange.Core.Tests.Pipeline;

public sealed class BusySpinWaitStrategyTests
{
    [Fact]
    public void IsBlockingStrategy_Always_IsFalse() =>
        Assert.False(new BusySpinWaitStrategy().IsBlockingStrategy);

    [Fact]
    public void WaitFor_PublishedByAnotherThread_ReturnsHighestPublished() =>
        WaitStrategyChecks.PublishedByAnotherThread_ReturnsIt(new BusySpinWaitStrategy());

    [Fact]
    public void WaitFor_DependentBehindCursor_ReturnsOnceDependentCatchesUp() =>
        WaitStrategyChecks.DependentBehindCursor_WaitsForDependent(new BusySpinWaitStrategy());
}
