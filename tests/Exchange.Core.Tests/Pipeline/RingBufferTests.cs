using Exchange.Core.Pipeline;

namespace Exchange.Core.Tests.Pipeline;

public sealed class RingBufferTests
{
    [Fact]
    public void Indexer_SequencesOneLapApart_ReturnSameSlot()
    {
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(8, new YieldingWaitStrategy());
        ring[3].Value = 99;
        Assert.Equal(99, ring[11].Value);
        Assert.Equal(99, ring[3 + 8 * 1000].Value);
        Assert.Equal(0, ring[4].Value);
    }

    [Fact]
    public void Indexer_EverySlot_IsDistinctStorage()
    {
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(16, new YieldingWaitStrategy());
        for (long i = 0; i < 16; i++)
            ring[i].Value = i * 10;
        for (long i = 0; i < 16; i++)
            Assert.Equal(i * 10, ring[i].Value);
    }

    [Theory]
    [InlineData(ProducerType.Single, typeof(SingleProducerSequencer))]
    [InlineData(ProducerType.Multi, typeof(MultiProducerSequencer))]
    public void Create_ProducerType_UsesMatchingSequencer(ProducerType producerType, Type sequencerType)
    {
        var ring = RingBuffer<TestEvent>.Create(producerType, 8, new YieldingWaitStrategy());
        Assert.IsType(sequencerType, ring.Sequencer);
        Assert.Equal(8, ring.BufferSize);
        Assert.Equal(-1, ring.Cursor);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-8)]
    [InlineData(12)]
    public void Create_BufferSizeNotPowerOfTwo_Throws(int bufferSize)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RingBuffer<TestEvent>.CreateSingleProducer(bufferSize, new YieldingWaitStrategy()));
        Assert.Throws<ArgumentOutOfRangeException>(() => RingBuffer<TestEvent>.CreateMultiProducer(bufferSize, new YieldingWaitStrategy()));
    }

    [Fact]
    public void Create_DefaultBlockingWaitStrategy_Throws() =>
        Assert.Throws<ArgumentException>(() => RingBuffer<TestEvent>.CreateSingleProducer(8, default(BlockingWaitStrategy)));

    [Theory]
    [InlineData(ProducerType.Single)]
    [InlineData(ProducerType.Multi)]
    public void TryNext_EverySlotUnread_ReturnsFalseAndLeavesSlotsIntact(ProducerType producerType)
    {
        var ring = RingBuffer<TestEvent>.Create(producerType, 4, new YieldingWaitStrategy());
        var consumer = new Sequence();
        ring.AddGatingSequences(consumer);
        for (long i = 0; i < 4; i++)
        {
            Assert.True(ring.TryNext(out long sequence));
            ring[sequence].Value = 100 + sequence;
            ring.Publish(sequence);
        }

        Assert.False(ring.TryNext(out _));
        Assert.False(ring.HasAvailableCapacity(1));
        for (long i = 0; i < 4; i++)
            Assert.Equal(100 + i, ring[i].Value);

        consumer.SetValue(0);
        Assert.True(ring.TryNext(out long reused));
        Assert.Equal(4, reused);
        Assert.Equal(0, ring.GetMinimumGatingSequence());
    }

    [Theory]
    [InlineData(ProducerType.Single)]
    [InlineData(ProducerType.Multi)]
    public void PublishRange_ClaimedBatch_MakesEverySlotAvailable(ProducerType producerType)
    {
        var ring = RingBuffer<TestEvent>.Create(producerType, 8, new YieldingWaitStrategy());
        long hi = ring.Next(5);
        Assert.True(ring.TryNext(2, out long hi2));
        ring.Publish(hi - 4, hi);
        ring.Publish(hi2 - 1, hi2);
        for (long i = 0; i <= hi2; i++)
            Assert.True(ring.IsAvailable(i));
        Assert.Equal(6, ring.Cursor);
    }

    [Fact]
    public void GetWaitStrategy_OtherType_Throws()
    {
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(8, new YieldingWaitStrategy());
        Assert.Throws<ArgumentException>(() => ring.GetWaitStrategy<BusySpinWaitStrategy>());
        ring.GetWaitStrategy<YieldingWaitStrategy>();
    }
}
