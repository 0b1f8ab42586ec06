using Exchange.Core.Pipeline;

namespace Exchange.Core.Tests.Pipeline;

public sealed class SequenceBarrierTests
{
    [Fact]
    public void WaitFor_SeveralPublished_ReturnsHighestPublished()
    {
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(8, new BusySpinWaitStrategy());
        var barrier = ring.NewBarrier();
        ring.Publish(ring.Next(5));
        var wait = new BusySpinWaitStrategy();
        Assert.Equal(4, barrier.WaitFor(ref wait, 0));
        Assert.Equal(4, barrier.WaitFor(ref wait, 4));
    }

    [Fact]
    public void WaitFor_WithDependents_ReturnsLowestDependent()
    {
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(16, new BusySpinWaitStrategy());
        var first = new Sequence(7);
        var second = new Sequence(5);
        var barrier = ring.NewBarrier(first, second);
        ring.Publish(ring.Next(10));
        var wait = new BusySpinWaitStrategy();
        Assert.Equal(5, barrier.DependentValue);
        Assert.Equal(5, barrier.WaitFor(ref wait, 3));
    }

    [Fact]
    public void WaitFor_MultiProducerGap_ReturnsSequenceBeforeGap()
    {
        var ring = RingBuffer<TestEvent>.CreateMultiProducer(8, new BusySpinWaitStrategy());
        var barrier = ring.NewBarrier();
        ring.Next(3);
        ring.Publish(0);
        ring.Publish(2);
        var wait = new BusySpinWaitStrategy();
        Assert.Equal(0, barrier.WaitFor(ref wait, 0));
        // Slot 1 is claimed but not published: "ask again", not "alerted".
        Assert.Equal(0, barrier.WaitFor(ref wait, 1));
        Assert.False(barrier.IsAlerted);
    }

    [Theory]
    [InlineData(WaitKind.BusySpin)]
    [InlineData(WaitKind.Yielding)]
    [InlineData(WaitKind.Blocking)]
    public void WaitFor_AlertedBeforehand_ReturnsBelowSequenceAtOnce(WaitKind kind) =>
        Strategies.Run(kind, new AlertedBeforehand());

    [Theory]
    [InlineData(WaitKind.BusySpin)]
    [InlineData(WaitKind.Yielding)]
    [InlineData(WaitKind.Blocking)]
    public void WaitFor_AlertedWhileWaiting_Returns(WaitKind kind) =>
        Strategies.Run(kind, new AlertedWhileWaiting());

    [Fact]
    public void ClearAlert_AfterAlert_IsNoLongerAlerted()
    {
        var barrier = RingBuffer<TestEvent>.CreateSingleProducer(8, new YieldingWaitStrategy()).NewBarrier();
        barrier.Alert();
        Assert.True(barrier.IsAlerted);
        barrier.ClearAlert();
        Assert.False(barrier.IsAlerted);
    }

    private readonly struct AlertedBeforehand : Strategies.ITest
    {
        public void Run<TWait>(TWait waitStrategy)
            where TWait : struct, IWaitStrategy
        {
            var ring = RingBuffer<TestEvent>.CreateSingleProducer(8, waitStrategy);
            var barrier = ring.NewBarrier();
            var wait = ring.GetWaitStrategy<TWait>();
            barrier.Alert();
            Assert.True(barrier.WaitFor(ref wait, 0) < 0);
        }
    }

    private readonly struct AlertedWhileWaiting : Strategies.ITest
    {
        public void Run<TWait>(TWait waitStrategy)
            where TWait : struct, IWaitStrategy
        {
            var ring = RingBuffer<TestEvent>.CreateSingleProducer(8, waitStrategy);
            var barrier = ring.NewBarrier();
            var waiting = new ManualResetEventSlim();
            long result = 0;
            var waiter = TestThread.Start(() =>
            {
                var wait = ring.GetWaitStrategy<TWait>();
                waiting.Set();
                result = barrier.WaitFor(ref wait, 0);
            });

            Assert.True(waiting.Wait(Eventually.Timeout));
            // Nothing is published, so the waiter can only be released by the alert.
            Assert.False(waiter.Join(20));
            barrier.Alert();
            waiter.AssertCompletes("the waiter");
            Assert.Equal(-1, result);
        }
    }
}
