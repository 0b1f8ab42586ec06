using Exchange.Core.Pipeline;

namespace Exchange.Core.Tests.Pipeline;

// Four producers spin on one sequencer within Eventually's bound: not next to the parallel tests' threads.
[Collection(PipelineThreadsCollection.Name)]
public sealed class MultiProducerSequencerTests
{
    [Fact]
    public void Publish_OutOfOrder_HighestPublishedStopsBeforeFirstGap()
    {
        var sequencer = new MultiProducerSequencer(8, new YieldingWaitStrategy());
        Assert.Equal(3, sequencer.Next(4));
        sequencer.Publish(0);
        sequencer.Publish(2);
        sequencer.Publish(3);

        Assert.Equal(0, sequencer.GetHighestPublishedSequence(0, 3));
        Assert.False(sequencer.IsAvailable(1));

        sequencer.Publish(1);
        Assert.Equal(3, sequencer.GetHighestPublishedSequence(0, 3));
    }

    [Fact]
    public void GetHighestPublishedSequence_LowerBoundUnpublished_ReturnsOneBelow()
    {
        var sequencer = new MultiProducerSequencer(8, new YieldingWaitStrategy());
        sequencer.Next(2);
        sequencer.Publish(1);
        Assert.Equal(-1, sequencer.GetHighestPublishedSequence(0, 1));
    }

    [Fact]
    public void IsAvailable_SlotPublishedOneLapEarlier_ReturnsFalse()
    {
        var sequencer = new MultiProducerSequencer(4, new YieldingWaitStrategy());
        sequencer.Publish(0, sequencer.Next(4));
        Assert.True(sequencer.IsAvailable(0));
        // Sequence 4 reuses slot 0, whose flag still says lap 0.
        Assert.False(sequencer.IsAvailable(4));
        sequencer.Publish(sequencer.Next());
        Assert.True(sequencer.IsAvailable(4));
        Assert.False(sequencer.IsAvailable(0));
    }

    [Fact]
    public void TryNext_EverySlotUnread_ReturnsFalseUntilConsumerAdvances()
    {
        var sequencer = new MultiProducerSequencer(4, new YieldingWaitStrategy());
        var consumer = new Sequence();
        sequencer.AddGatingSequences(consumer);
        Assert.True(sequencer.TryNext(4, out long highest));
        sequencer.Publish(0, highest);

        Assert.False(sequencer.TryNext(out _));
        Assert.Equal(0, sequencer.GetRemainingCapacity());

        consumer.SetValue(1);
        Assert.True(sequencer.TryNext(2, out highest));
        Assert.Equal(5, highest);
        Assert.False(sequencer.TryNext(out _));
    }

    [Fact]
    public void Next_RingFull_WaitsUntilConsumerAdvances()
    {
        var sequencer = new MultiProducerSequencer(4, new YieldingWaitStrategy());
        var consumer = new Sequence();
        sequencer.AddGatingSequences(consumer);
        sequencer.Publish(0, sequencer.Next(4));

        long claimed = -1;
        var claim = TestThread.Start(() => claimed = sequencer.Next());
        Assert.False(claim.Join(50));

        consumer.SetValue(0);
        claim.AssertCompletes("the claim");
        Assert.Equal(4, claimed);
    }

    [Fact]
    public void Next_ConcurrentProducers_ClaimEverySequenceExactlyOnce()
    {
        const int Producers = 4;
        const int ClaimsEach = 20_000;
        // No consumer gates the producers here, so the ring must hold every claim: with a smaller one a producer
        // preempted between its claim and its publish can be lapped, and its late publish then overwrites the newer
        // lap's flag (what gating on a consumer forbids in real use, and what made this test fail under load).
        var sequencer = new MultiProducerSequencer(131_072, new YieldingWaitStrategy());
        var claimedBy = new int[Producers * ClaimsEach];
        claimedBy.AsSpan().Fill(-1);

        var producers = new Action[Producers];
        for (int p = 0; p < Producers; p++)
        {
            int producer = p;
            producers[p] = () =>
            {
                for (int i = 0; i < ClaimsEach; i++)
                {
                    long sequence = i % 2 == 0 ? sequencer.Next() : (sequencer.TryNext(out long s) ? s : sequencer.Next());
                    // Exchange, not a plain write: a sequence claimed twice would show the first claimant.
                    Assert.Equal(-1, Interlocked.Exchange(ref claimedBy[sequence], producer));
                    sequencer.Publish(sequence);
                }
            };
        }

        Eventually.Completes(producers, "the producers");
        Assert.DoesNotContain(-1, claimedBy);
        Assert.Equal(Producers * ClaimsEach - 1, sequencer.Cursor.Value);
        long cursor = sequencer.Cursor.Value;
        // Every claim was published: the flags say so from the first sequence to the last.
        Assert.Equal(cursor, sequencer.GetHighestPublishedSequence(0, cursor));
    }

    [Fact]
    public void Constructor_DefaultBlockingWaitStrategy_Throws() =>
        Assert.Throws<ArgumentException>(() => new MultiProducerSequencer(8, default(BlockingWaitStrategy)));
}
