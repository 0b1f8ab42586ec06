using Exchange.Core.Pipeline;

namespace Exchange.Core.Tests.Pipeline;

[Collection(PipelineThreadsCollection.Name)]
public sealed partial class BatchEventProcessorTests
{
    [Fact]
    public void Run_EventsPublishedInOrder_HandlerSeesEveryOneInOrder()
    {
        const int Count = 100_000;
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(1024, new YieldingWaitStrategy());
        var log = new EventLog(Count);
        var processor = Start(ring, ring.NewBarrier(), new RecordingHandler(log));
        try
        {
            for (long i = 0; i < Count; i++)
                Publish(ring, i * 3);
            Eventually.True(() => log.Count == Count, "every event");
        }
        finally
        {
            Stop(processor);
        }

        for (int i = 0; i < Count; i++)
        {
            Assert.Equal(i, log.Sequence(i));
            Assert.Equal(i * 3L, log.Value(i));
        }
    }

    [Fact]
    public void Run_FarMoreEventsThanSlots_WrapsAroundWithoutLossOrStaleData()
    {
        const int Count = 10_000;
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(8, new YieldingWaitStrategy());
        var log = new EventLog(Count);
        var processor = Start(ring, ring.NewBarrier(), new RecordingHandler(log));
        try
        {
            for (long i = 0; i < Count; i++)
                Publish(ring, -i);
            Eventually.True(() => log.Count == Count, "every event");
        }
        finally
        {
            Stop(processor);
        }

        for (int i = 0; i < Count; i++)
            Assert.Equal(-i, log.Value(i));
        Assert.Equal(Count - 1, processor.Sequence.Value);
    }

    [Fact]
    public void Run_EventsPublishedBeforeStart_ArriveAsOneBatchEndingAtTheLast()
    {
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(16, new YieldingWaitStrategy());
        var log = new EventLog(16);
        var barrier = ring.NewBarrier();
        var processor = new BatchEventProcessor<TestEvent, RecordingHandler, YieldingWaitStrategy>(ring, barrier, new RecordingHandler(log));
        ring.AddGatingSequences(processor.Sequence);
        for (long i = 0; i < 10; i++)
            Publish(ring, i);

        processor.Start();
        try
        {
            Eventually.True(() => log.Count == 10, "the batch");
        }
        finally
        {
            Stop(processor);
        }

        for (int i = 0; i < 10; i++)
            Assert.Equal(i == 9, log.EndOfBatch(i));
    }

    [Fact]
    public void Run_ProducerPublishesBatches_EndOfBatchOnlyWherePublicationsEnd()
    {
        const int Batches = 2_000;
        const int BatchSize = 10;
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(64, new YieldingWaitStrategy());
        var log = new EventLog(Batches * BatchSize);
        var processor = Start(ring, ring.NewBarrier(), new RecordingHandler(log));
        try
        {
            for (int b = 0; b < Batches; b++)
            {
                long hi = ring.Next(BatchSize);
                for (long s = hi - BatchSize + 1; s <= hi; s++)
                    ring[s].Value = s;
                ring.Publish(hi - BatchSize + 1, hi);
            }

            Eventually.True(() => log.Count == Batches * BatchSize, "every event");
        }
        finally
        {
            Stop(processor);
        }

        // A single producer's cursor jumps a whole batch at once, so the consumer can never see half of one:
        // batches it handles end on a publication boundary (several publications may merge into one batch).
        for (int i = 0; i < log.Count; i++)
        {
            if (log.EndOfBatch(i))
                Assert.Equal(BatchSize - 1, i % BatchSize);
        }

        Assert.True(log.EndOfBatch(log.Count - 1));
    }

    [Fact]
    public void Run_SlowConsumer_ProducerNeverOverwritesUnreadSlot()
    {
        const int Count = 20_000;
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(4, new YieldingWaitStrategy());
        var checks = new SlotChecks();
        var processor = Start(ring, ring.NewBarrier(), new SlowCheckingHandler(checks));
        try
        {
            Eventually.Completes(() =>
            {
                for (long i = 0; i < Count; i++)
                {
                    // Next() itself waits while full: the gating path under test.
                    long sequence = ring.Next();
                    Assert.True(sequence - processor.Sequence.Value <= ring.BufferSize);
                    ring[sequence].Value = Expected(sequence);
                    ring.Publish(sequence);
                }
            }, "the producer");
            Eventually.True(() => processor.Sequence.Value == Count - 1, "the consumer to finish");
        }
        finally
        {
            Stop(processor);
        }

        Assert.Equal(Count, checks.Handled);
        Assert.Equal(0, checks.Mismatches);
    }

    [Fact]
    public void Run_SeveralProducers_EveryPayloadHandledExactlyOnceInProducerOrder()
    {
        const int Producers = 4;
        const int PerProducer = 25_000;
        var ring = RingBuffer<TestEvent>.CreateMultiProducer(256, new YieldingWaitStrategy());
        var tally = new PayloadTally(Producers, PerProducer);
        var processor = Start(ring, ring.NewBarrier(), new TallyHandler(tally));
        try
        {
            var producers = new Action[Producers];
            for (int p = 0; p < Producers; p++)
            {
                int producer = p;
                producers[p] = () =>
                {
                    for (int i = 0; i < PerProducer; i++)
                        Publish(ring, PayloadTally.Payload(producer, i));
                };
            }

            Eventually.Completes(producers, "the producers");
            Eventually.True(() => processor.Sequence.Value == Producers * PerProducer - 1, "the consumer to finish");
        }
        finally
        {
            Stop(processor);
        }

        for (int p = 0; p < Producers; p++)
        {
            for (int i = 0; i < PerProducer; i++)
                Assert.True(tally.Seen(p, i) == 1, $"producer {p} payload {i} seen {tally.Seen(p, i)} times");
        }

        Assert.Equal(0, tally.OutOfOrder);
        Assert.Equal(0, tally.Unknown);
    }

    [Fact]
    public void Run_ConsumerChain_SecondConsumerSeesFirstConsumersWrites()
    {
        const int Count = 50_000;
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(64, new YieldingWaitStrategy());
        var first = new BatchEventProcessor<TestEvent, StageOneHandler, YieldingWaitStrategy>(ring, ring.NewBarrier(), default);
        var chainChecks = new ChainChecks(first.Sequence);
        var second = new BatchEventProcessor<TestEvent, StageTwoHandler, YieldingWaitStrategy>(
            ring, ring.NewBarrier(first.Sequence), new StageTwoHandler(chainChecks));
        // Only the end of the chain gates the producer: the first consumer is always ahead of the second.
        ring.AddGatingSequences(second.Sequence);
        first.Start();
        second.Start();
        try
        {
            for (long i = 0; i < Count; i++)
                Publish(ring, i + 1);
            Eventually.True(() => second.Sequence.Value == Count - 1, "the end of the chain");
        }
        finally
        {
            Stop(second);
            Stop(first);
        }

        Assert.Equal(Count, chainChecks.Handled);
        Assert.Equal(0, chainChecks.MissingStageOne);
        Assert.Equal(0, chainChecks.AheadOfFirst);
    }

    [Theory]
    [InlineData(WaitKind.BusySpin, ProducerType.Single)]
    [InlineData(WaitKind.BusySpin, ProducerType.Multi)]
    [InlineData(WaitKind.Yielding, ProducerType.Single)]
    [InlineData(WaitKind.Yielding, ProducerType.Multi)]
    [InlineData(WaitKind.Blocking, ProducerType.Single)]
    [InlineData(WaitKind.Blocking, ProducerType.Multi)]
    public void Run_EachWaitStrategy_DeliversEveryEventInOrder(WaitKind kind, ProducerType producerType) =>
        Strategies.Run(kind, new DeliversEveryEvent(producerType));

    [Theory]
    [InlineData(WaitKind.BusySpin)]
    [InlineData(WaitKind.Yielding)]
    [InlineData(WaitKind.Blocking)]
    public void Halt_IdleProcessor_StopsItsThreadPromptly(WaitKind kind) =>
        Strategies.Run(kind, new HaltsWhenIdle());

    [Fact]
    public void Start_AfterHalt_ResumesAfterLastHandledEvent()
    {
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(16, new YieldingWaitStrategy());
        var log = new EventLog(16);
        var processor = Start(ring, ring.NewBarrier(), new RecordingHandler(log));
        Publish(ring, 1);
        Publish(ring, 2);
        Eventually.True(() => log.Count == 2, "the first events");
        Stop(processor);

        Publish(ring, 3);
        processor.Start();
        try
        {
            Eventually.True(() => log.Count == 3, "the event published while halted");
        }
        finally
        {
            Stop(processor);
        }

        Assert.Equal(3, log.Value(2));
        Assert.Equal(2, log.Sequence(2));
    }

    [Fact]
    public void Start_AlreadyRunning_Throws()
    {
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(16, new YieldingWaitStrategy());
        var processor = Start(ring, ring.NewBarrier(), new RecordingHandler(new EventLog(1)));
        try
        {
            Assert.Throws<InvalidOperationException>(() => processor.Start());
            Assert.Throws<InvalidOperationException>(processor.Run);
        }
        finally
        {
            Stop(processor);
        }
    }

    [Fact]
    public void Run_OnCallingThread_ReturnsAfterHalt()
    {
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(16, new YieldingWaitStrategy());
        var log = new EventLog(16);
        var processor = new BatchEventProcessor<TestEvent, RecordingHandler, YieldingWaitStrategy>(ring, ring.NewBarrier(), new RecordingHandler(log));
        var runner = TestThread.Start(processor.Run);
        Publish(ring, 7);
        Eventually.True(() => log.Count == 1, "the event");
        Eventually.True(() => processor.IsRunning, "the processor to run");

        processor.Halt();
        runner.AssertCompletes("Run to return");
        Assert.False(processor.IsRunning);
        Assert.True(processor.WaitForShutdown(TimeSpan.Zero));
    }

    [Fact]
    public void Constructor_WaitStrategyOtherThanRings_Throws()
    {
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(16, new YieldingWaitStrategy());
        Assert.Throws<ArgumentException>(() =>
            new BatchEventProcessor<TestEvent, RecordingHandler, BlockingWaitStrategy>(ring, ring.NewBarrier(), default));
    }

    [Fact]
    public void Run_HandlerThrows_RecordsFaultAndStops()
    {
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(16, new YieldingWaitStrategy());
        var processor = Start(ring, ring.NewBarrier(), new ThrowingHandler());
        Publish(ring, 1);
        Publish(ring, ThrowingHandler.Poison);

        Assert.True(processor.WaitForShutdown(Eventually.Timeout));
        Assert.False(processor.IsRunning);
        Assert.IsType<InvalidOperationException>(processor.Fault);
        // Not marked handled: the poison event's batch is not released to the producer.
        Assert.True(processor.Sequence.Value < 1);
    }

    [Fact]
    public void Run_SteadyState_AllocatesNothingOnEitherThread()
    {
        const int Warmup = 20_000;
        const int Measured = 100_000;
        var ring = RingBuffer<TestEvent>.CreateSingleProducer(1024, new YieldingWaitStrategy());
        var probe = new AllocationProbe(Warmup, Warmup + Measured - 1);
        var processor = Start(ring, ring.NewBarrier(), new AllocationProbeHandler(probe));
        try
        {
            for (long i = 0; i < Warmup; i++)
                PublishWithNext(ring, i);
            Eventually.True(() => processor.Sequence.Value >= Warmup - 1, "the warm-up");

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (long i = Warmup; i < Warmup + Measured; i++)
                PublishWithNext(ring, i);
            long producerBytes = GC.GetAllocatedBytesForCurrentThread() - before;

            Eventually.True(() => processor.Sequence.Value == Warmup + Measured - 1, "the measured events");
            Assert.Equal(0, producerBytes);
            Assert.Equal(0, probe.ConsumerBytes);
        }
        finally
        {
            Stop(processor);
        }
    }

    private static long Expected(long sequence) => sequence * 31 + 7;

    private static void Publish(RingBuffer<TestEvent> ring, long value)
    {
        long sequence = Eventually.Claim(ring);
        ring[sequence].Value = value;
        ring.Publish(sequence);
    }

    private static void PublishWithNext(RingBuffer<TestEvent> ring, long value)
    {
        long sequence = ring.Next();
        ring[sequence].Value = value;
        ring.Publish(sequence);
    }

    private static BatchEventProcessor<TestEvent, THandler, TWait> Start<THandler, TWait>(
        RingBuffer<TestEvent> ring, SequenceBarrier barrier, THandler handler, TWait _ = default)
        where THandler : struct, IEventHandler<TestEvent>
        where TWait : struct, IWaitStrategy
    {
        var processor = new BatchEventProcessor<TestEvent, THandler, TWait>(ring, barrier, handler);
        ring.AddGatingSequences(processor.Sequence);
        processor.Start();
        return processor;
    }

    private static BatchEventProcessor<TestEvent, THandler, YieldingWaitStrategy> Start<THandler>(
        RingBuffer<TestEvent> ring, SequenceBarrier barrier, THandler handler)
        where THandler : struct, IEventHandler<TestEvent> =>
        Start<THandler, YieldingWaitStrategy>(ring, barrier, handler);

    private static void Stop<THandler, TWait>(BatchEventProcessor<TestEvent, THandler, TWait> processor)
        where THandler : struct, IEventHandler<TestEvent>
        where TWait : struct, IWaitStrategy
    {
        processor.Halt();
        Assert.True(processor.WaitForShutdown(Eventually.Timeout), "processor did not stop");
        Assert.Null(processor.Fault);
    }
}
