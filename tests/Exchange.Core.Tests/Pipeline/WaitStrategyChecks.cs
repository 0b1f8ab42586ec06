using Exchange.Core.Pipeline;

namespace Exchange.Core.Tests.Pipeline;

/// <summary>The behaviour every wait strategy must have, written once for the per-strategy test classes.</summary>
internal static class WaitStrategyChecks
{
    public static void PublishedByAnotherThread_ReturnsIt<TWait>(TWait waitStrategy)
        where TWait : struct, IWaitStrategy
    {
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(8, waitStrategy);
        var barrier = ring.NewBarrier();
        long result = -2;
        var waiter = TestThread.Start(() =>
        {
            var wait = ring.GetWaitStrategy<TWait>();
            result = barrier.WaitFor(ref wait, 2);
        });

        ring.Publish(ring.Next());
        ring.Publish(ring.Next());
        // Only sequences 0 and 1 are out: the waiter wants 2.
        Assert.False(waiter.Join(20));
        ring.Publish(ring.Next(2));

        waiter.AssertCompletes("the waiter");
        Assert.Equal(3, result);
    }

    public static void DependentBehindCursor_WaitsForDependent<TWait>(TWait waitStrategy)
        where TWait : struct, IWaitStrategy
    {
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(8, waitStrategy);
        var upstream = new Sequence();
        var barrier = ring.NewBarrier(upstream);
        ring.Publish(ring.Next(4));
        long result = -2;
        var waiter = TestThread.Start(() =>
        {
            var wait = ring.GetWaitStrategy<TWait>();
            result = barrier.WaitFor(ref wait, 1);
        });

        // Published, but the consumer this one follows has not handled it yet.
        Assert.False(waiter.Join(20));
        // As a BatchEventProcessor does after each batch: a blocking strategy's waiter sleeps until signalled.
        upstream.SetValue(2);
        if (waitStrategy.IsBlockingStrategy)
            waitStrategy.SignalAllWhenBlocking();

        waiter.AssertCompletes("the waiter");
        Assert.Equal(2, result);
    }
}
