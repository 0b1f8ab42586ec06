using Exchange.Core.Pipeline;

namespace Exchange.Core.Tests.Pipeline;

public sealed class SingleProducerSequencerTests
{
    [Fact]
    public void Next_Repeatedly_ClaimsConsecutiveSequences()
    {
        var sequencer = new SingleProducerSequencer(8, new YieldingWaitStrategy());
        for (long expected = 0; expected < 20; expected++)
        {
            Assert.Equal(expected, sequencer.Next());
            sequencer.Publish(expected);
        }
    }

    [Fact]
    public void Next_BatchOfN_ReturnsHighestSequenceOfTheClaim()
    {
        var sequencer = new SingleProducerSequencer(8, new YieldingWaitStrategy());
        Assert.Equal(4, sequencer.Next(5));
        Assert.Equal(7, sequencer.Next(3));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    public void Next_ClaimSizeOutsideOneToBufferSize_Throws(int n)
    {
        var sequencer = new SingleProducerSequencer(8, new YieldingWaitStrategy());
        Assert.Throws<ArgumentOutOfRangeException>(() => sequencer.Next(n));
        Assert.Throws<ArgumentOutOfRangeException>(() => sequencer.TryNext(n, out _));
    }

    [Fact]
    public void Publish_Claimed_MovesCursorAndMakesAvailable()
    {
        var sequencer = new SingleProducerSequencer(8, new YieldingWaitStrategy());
        long sequence = sequencer.Next();
        Assert.False(sequencer.IsAvailable(sequence));
        sequencer.Publish(sequence);
        Assert.Equal(sequence, sequencer.Cursor.Value);
        Assert.True(sequencer.IsAvailable(sequence));
    }

    [Fact]
    public void TryNext_EverySlotUnread_ReturnsFalseUntilConsumerAdvances()
    {
        var sequencer = new SingleProducerSequencer(4, new YieldingWaitStrategy());
        var consumer = new Sequence();
        sequencer.AddGatingSequences(consumer);
        for (int i = 0; i < 4; i++)
        {
            Assert.True(sequencer.TryNext(out long sequence));
            sequencer.Publish(sequence);
        }

        Assert.False(sequencer.TryNext(out _));
        Assert.Equal(0, sequencer.GetRemainingCapacity());

        consumer.SetValue(0);
        Assert.True(sequencer.TryNext(out long next));
        Assert.Equal(4, next);
        Assert.False(sequencer.TryNext(out _));
    }

    [Fact]
    public void TryNext_BatchLargerThanFreeSlots_ReturnsFalseAndClaimsNothing()
    {
        var sequencer = new SingleProducerSequencer(8, new YieldingWaitStrategy());
        sequencer.AddGatingSequences(new Sequence());
        sequencer.Publish(sequencer.Next(6));

        Assert.False(sequencer.TryNext(3, out _));
        Assert.True(sequencer.TryNext(2, out long highest));
        Assert.Equal(7, highest);
    }

    [Fact]
    public void GetRemainingCapacity_AfterClaims_CountsFreeSlots()
    {
        var sequencer = new SingleProducerSequencer(8, new YieldingWaitStrategy());
        var consumer = new Sequence();
        sequencer.AddGatingSequences(consumer);
        sequencer.Publish(sequencer.Next(5));
        Assert.Equal(3, sequencer.GetRemainingCapacity());
        consumer.SetValue(2);
        Assert.Equal(6, sequencer.GetRemainingCapacity());
        Assert.True(sequencer.HasAvailableCapacity(6));
        Assert.False(sequencer.HasAvailableCapacity(7));
    }

    [Fact]
    public void Next_NoGatingSequences_NeverWaits()
    {
        var sequencer = new SingleProducerSequencer(2, new YieldingWaitStrategy());
        for (long i = 0; i < 10; i++)
            sequencer.Publish(sequencer.Next());
        Assert.Equal(9, sequencer.Cursor.Value);
    }

    [Fact]
    public void Next_RingFull_WaitsUntilConsumerAdvances()
    {
        var sequencer = new SingleProducerSequencer(4, new YieldingWaitStrategy());
        var consumer = new Sequence();
        sequencer.AddGatingSequences(consumer);
        sequencer.Publish(sequencer.Next(4));

        long claimed = -1;
        var claim = TestThread.Start(() => claimed = sequencer.Next());
        // The claim cannot succeed while the consumer sits at -1: all four slots are unread.
        Assert.False(claim.Join(50));

        consumer.SetValue(0);
        claim.AssertCompletes("the claim");
        Assert.Equal(4, claimed);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(1000)]
    public void Constructor_BufferSizeNotPowerOfTwo_Throws(int bufferSize) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new SingleProducerSequencer(bufferSize, new YieldingWaitStrategy()));

    [Fact]
    public void RemoveGatingSequence_Removed_NoLongerGates()
    {
        var sequencer = new SingleProducerSequencer(2, new YieldingWaitStrategy());
        var consumer = new Sequence();
        sequencer.AddGatingSequences(consumer);
        sequencer.Publish(sequencer.Next(2));
        Assert.False(sequencer.TryNext(out _));

        Assert.True(sequencer.RemoveGatingSequence(consumer));
        Assert.False(sequencer.RemoveGatingSequence(consumer));
        Assert.True(sequencer.TryNext(out _));
    }
}
