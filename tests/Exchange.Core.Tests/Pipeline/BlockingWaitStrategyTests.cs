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
    public void WaitFor_NothingPublished_SleepsUntilPublishSignals()
    {
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(8, new BlockingWaitStrategy());
        var barrier = ring.NewBarrier();
        long result = -2;
        var waiter = TestThread.Start(() =>
        {
            var wait = ring.GetWaitStrategy<BlockingWaitStrategy>();
            result = barrier.WaitFor(ref wait, 0);
        });

        // Idle means parked on the monitor (no CPU), not spinning.
        Eventually.True(() => (waiter.State & ThreadState.WaitSleepJoin) != 0, "the waiter to block");
        ring.Publish(ring.Next());

        waiter.AssertCompletes("the waiter");
        Assert.Equal(0, result);
    }

    [Fact]
    public void SignalAllWhenBlocking_NoWaiters_DoesNothing() => new BlockingWaitStrategy().SignalAllWhenBlocking();
}
