using Exchange.Core.Pipeline;

namespace Exchange.Core.Tests.Pipeline;

/// <summary>
/// A single producer's ring stamps each slot's own flag on publish, and a consumer that follows the producer directly
/// polls those flags instead of the cursor (<see cref="SequenceBarrier.Poll"/>). These tests pin what that consumer
/// may and may not see.
/// </summary>
public sealed class SlotFlagTests
{
    [Fact]
    public void Poll_CursorMovedWithoutTheSlotsFlag_ReportsNothing()
    {
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(8, new BusySpinWaitStrategy());
        var barrier = ring.NewBarrier();
        long sequence = ring.Next();
        // The sequencer's own publish moves only the cursor: a consumer of the ring reads the slot's flag, so it must
        // not take this as published (were it reading the cursor, it would).
        ring.Sequencer.Publish(sequence);
        Assert.Equal(0, barrier.CursorValue);
        Assert.Equal(-1, barrier.Poll(0));
    }

    [Fact]
    public void Poll_NothingPublished_ReportsBelowTheSequence()
    {
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(8, new BusySpinWaitStrategy());
        var barrier = ring.NewBarrier();
        Assert.Equal(-1, barrier.Poll(0));
        ring.Publish(ring.Next());
        Assert.Equal(0, barrier.Poll(0));
        Assert.Equal(0, barrier.Poll(1));
    }

    [Fact]
    public void Poll_OnePublishCoveringSeveralClaims_ReportsThemAll()
    {
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(16, new BusySpinWaitStrategy());
        var barrier = ring.NewBarrier();
        ring.Next();
        ring.Next();
        long third = ring.Next();
        // A single producer's publish covers every claim before it, as the cursor always did.
        ring.Publish(third);
        Assert.Equal(2, barrier.Poll(0));
        Assert.Equal(2, barrier.Poll(1));

        long hi = ring.Next(4);
        ring.Publish(hi - 3, hi);
        Assert.Equal(6, barrier.Poll(3));
        Assert.Equal(6, barrier.Poll(0));
    }

    [Fact]
    public void Poll_MoreThanTheScanPublished_ReadsTheCursorForTheRest()
    {
        int published = SequenceBarrier.FlagScan * 3 + 5;
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(1024, new BusySpinWaitStrategy());
        var barrier = ring.NewBarrier();
        for (int i = 0; i < published; i++)
            ring.Publish(ring.Next());

        Assert.Equal(published - 1, barrier.Poll(0));
        Assert.Equal(published - 1, barrier.Poll(published - 10));
        Assert.Equal(published - 1, barrier.Poll(published - 1));
    }

    [Fact]
    public void Poll_SlotFromThePreviousLap_IsNotPublishedForThisOne()
    {
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(4, new BusySpinWaitStrategy());
        var consumer = new Sequence();
        ring.AddGatingSequences(consumer);
        var barrier = ring.NewBarrier();
        for (int i = 0; i < 4; i++)
            ring.Publish(ring.Next());
        Assert.Equal(3, barrier.Poll(0));

        // The consumer is done with 0..3; the producer's second lap publishes 4 and 5 only. Slots 6 and 7 still hold
        // sequences 2 and 3: the consumer must stop at 5, and never read 6 as published.
        consumer.SetValue(3);
        ring.Publish(ring.Next());
        ring.Publish(ring.Next());
        Assert.Equal(5, barrier.Poll(4));
        Assert.Equal(5, barrier.Poll(5));
        Assert.Equal(5, barrier.Poll(6));
    }

    [Fact]
    public void Publish_FullRing_BlocksTheProducerUntilTheConsumerMoves_AndKeepsEverySlot()
    {
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(4, new BusySpinWaitStrategy());
        var consumer = new Sequence();
        ring.AddGatingSequences(consumer);
        var barrier = ring.NewBarrier();
        for (long i = 0; i < 4; i++)
        {
            long sequence = ring.Next();
            ring[sequence].Value = 10 + sequence;
            ring.Publish(sequence);
        }

        Assert.False(ring.TryNext(out _));
        Assert.Equal(3, barrier.Poll(0));
        for (long i = 0; i < 4; i++)
            Assert.Equal(10 + i, ring[i].Value);

        consumer.SetValue(1);
        long hi = ring.Next(2);
        Assert.Equal(5, hi);
        // Claimed, not yet published: the consumer at 4 sees nothing, though both slots held published sequences.
        Assert.Equal(3, barrier.Poll(4));
        ring.Publish(hi - 1, hi);
        Assert.Equal(5, barrier.Poll(4));
    }

    [Fact]
    public void NewBarrier_WithDependents_WaitsOnThemNotTheFlags()
    {
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(8, new BusySpinWaitStrategy());
        var upstream = new Sequence(1);
        var barrier = ring.NewBarrier(upstream);
        ring.Publish(ring.Next(4));
        Assert.Equal(1, barrier.Poll(0));
        Assert.Equal(1, barrier.Poll(2));
    }

    [Fact]
    public void NewBarrier_MultiProducer_PollsTheCursor()
    {
        var ring = RingBuffer<TestEvent>.CreateMultiProducer(8, new BusySpinWaitStrategy());
        var barrier = ring.NewBarrier();
        ring.Next(3);
        ring.Publish(1);
        // The highest claimed: the barrier's WaitFor then scans the multi producer's own availability flags.
        Assert.Equal(2, barrier.Poll(0));
    }
}

/// <summary>Producer and consumer on two threads through the slots' flags: nothing lost, repeated or out of order.</summary>
[Collection(PipelineThreadsCollection.Name)]
public sealed class SlotFlagConcurrencyTests
{
    [Theory]
    [InlineData(WaitKind.BusySpin)]
    [InlineData(WaitKind.Yielding)]
    [InlineData(WaitKind.Blocking)]
    public void SingleAndRangePublishes_ConsumerSeesEverySequenceOnceInOrder(WaitKind kind) =>
        Strategies.Run(kind, new MixedPublishes());

    private readonly struct MixedPublishes : Strategies.ITest
    {
        public void Run<TWait>(TWait waitStrategy)
            where TWait : struct, IWaitStrategy
        {
            const int Count = 200_000;
            // A small ring: the producer laps it thousands of times and often finds it full.
            var ring = RingBuffer<TestEvent>.CreateSingleProducer(16, waitStrategy);
            var log = new EventLog(Count + 16);
            var processor = new BatchEventProcessor<TestEvent, RecordingHandler, TWait>(ring, ring.NewBarrier(), new RecordingHandler(log));
            ring.AddGatingSequences(processor.Sequence);
            processor.Start("slot flag consumer");
            try
            {
                var random = new Random(16);
                long published = 0;
                while (published < Count)
                {
                    // Single events, ranges, and a publish covering several single claims.
                    int n = (int)Math.Min(Count - published, random.Next(3) switch { 0 => 1, 1 => random.Next(1, 17), _ => 3 });
                    long hi;
                    if (n > 1 && random.Next(2) == 0)
                    {
                        hi = ring.Next(n);
                        for (long s = hi - n + 1; s <= hi; s++)
                            ring[s].Value = Value(s);
                        ring.Publish(hi - n + 1, hi);
                    }
                    else
                    {
                        hi = -1;
                        for (int i = 0; i < n; i++)
                        {
                            hi = ring.Next();
                            ring[hi].Value = Value(hi);
                        }
                        ring.Publish(hi);
                    }

                    published += n;
                }

                Eventually.True(() => log.Count == Count, "every event");
            }
            finally
            {
                processor.Halt();
                Assert.True(processor.WaitForShutdown(Eventually.Timeout), "processor did not stop");
                Assert.Null(processor.Fault);
            }

            Assert.Equal(Count, log.Count);
            for (int i = 0; i < Count; i++)
            {
                Assert.Equal(i, log.Sequence(i));
                Assert.Equal(Value(i), log.Value(i));
            }

            Assert.True(log.EndOfBatch(Count - 1));
        }

        private static long Value(long sequence) => sequence * 7 + 3;
    }
}
