using Exchange.Core.Pipeline;

namespace Exchange.Core.Tests.Pipeline;

public sealed class BlockingWaitStrategyTests
{
    [Fact]
    public void IsBlockingStrategy_Always_IsTrue() =>
        Assert.True(new BlockingWaitStrategy().IsBlockingStrategy);

    [Fact]
    public void WaitFor_PublishedByAnotherThread_ReturnsHighestPublished() =>
        WaitStrategyChecks.PublishedByAnotherThread_ReturnsIt(new BlockingWaitStrategy());

    [Fact]
    public void WaitFor_DependentBehindCursor_ReturnsOnceDependentCatchesUp() =>
        WaitStrategyChecks.DependentBehindCursor_WaitsForDependent(new BlockingWaitStrategy());

    [Fact]
    public void WaitFor_WithSpinning_PublishedByAnotherThread_ReturnsHighestPublished() =>
        WaitStrategyChecks.PublishedByAnotherThread_ReturnsIt(new BlockingWaitStrategy(TimeSpan.FromMicroseconds(50)));

    [Fact]
    public void WaitFor_WithSpinning_DependentBehindCursor_ReturnsOnceDependentCatchesUp() =>
        WaitStrategyChecks.DependentBehindCursor_WaitsForDependent(new BlockingWaitStrategy(TimeSpan.FromMicroseconds(50)));

    [Fact]
    public void WaitFor_WithYielding_PublishedByAnotherThread_ReturnsHighestPublished() =>
        WaitStrategyChecks.PublishedByAnotherThread_ReturnsIt(
            new BlockingWaitStrategy(TimeSpan.FromMicroseconds(10), TimeSpan.FromMicroseconds(500)));

    [Fact]
    public void WaitFor_WithYielding_DependentBehindCursor_ReturnsOnceDependentCatchesUp() =>
        WaitStrategyChecks.DependentBehindCursor_WaitsForDependent(
            new BlockingWaitStrategy(TimeSpan.FromMicroseconds(10), TimeSpan.FromMicroseconds(500)));

    [Fact]
    public void Constructor_NegativeSpin_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new BlockingWaitStrategy(TimeSpan.FromTicks(-1)));

    [Fact]
    public void Constructor_NegativeYield_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new BlockingWaitStrategy(TimeSpan.Zero, TimeSpan.FromTicks(-1)));

    [Theory]
    [InlineData(0, 0)]
    [InlineData(50, 0)]
    [InlineData(10, 2_000)]
    public void WaitFor_NothingPublished_SleepsUntilPublishSignals(int spinMicroseconds, int yieldMicroseconds)
    {
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(8, new BlockingWaitStrategy(
            TimeSpan.FromMicroseconds(spinMicroseconds), TimeSpan.FromMicroseconds(yieldMicroseconds)));
        var barrier = ring.NewBarrier();
        long result = -2;
        var waiter = TestThread.Start(() =>
        {
            var wait = ring.GetWaitStrategy<BlockingWaitStrategy>();
            result = barrier.WaitFor(ref wait, 0);
        });

        // Idle means parked on the monitor (no CPU), not spinning, once the spin (if any) is over.
        Eventually.True(() => (waiter.State & ThreadState.WaitSleepJoin) != 0, "the waiter to block");
        ring.Publish(ring.Next());

        waiter.AssertCompletes("the waiter");
        Assert.Equal(0, result);
    }

    [Fact]
    public void SignalAllWhenBlocking_NoWaiters_DoesNothing() => new BlockingWaitStrategy().SignalAllWhenBlocking();
}
