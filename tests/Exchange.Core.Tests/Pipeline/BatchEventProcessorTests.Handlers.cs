using Exchange.Core.Pipeline;

namespace Exchange.Core.Tests.Pipeline;

/// <summary>The generic test bodies and the handlers of <see cref="BatchEventProcessorTests"/>.</summary>
public sealed partial class BatchEventProcessorTests
{
    private readonly struct DeliversEveryEvent(ProducerType producerType) : Strategies.ITest
    {
        public void Run<TWait>(TWait waitStrategy)
            where TWait : struct, IWaitStrategy
        {
            const int Count = 20_000;
            var ring = RingBuffer<TestEvent>.Create(producerType, 256, waitStrategy);
            var log = new EventLog(Count);
            var processor = Start(ring, ring.NewBarrier(), new RecordingHandler(log), waitStrategy);
            try
            {
                for (long i = 0; i < Count; i++)
                    Publish(ring, i);
                Eventually.True(() => log.Count == Count, "every event");
            }
            finally
            {
                Stop(processor);
            }

            for (int i = 0; i < Count; i++)
                Assert.Equal(i, log.Value(i));
        }
    }

    private readonly struct HaltsWhenIdle : Strategies.ITest
    {
        public void Run<TWait>(TWait waitStrategy)
            where TWait : struct, IWaitStrategy
        {
            var ring = RingBuffer<TestEvent>.CreateSingleProducer(16, waitStrategy);
            var log = new EventLog(16);
            var processor = Start(ring, ring.NewBarrier(), new RecordingHandler(log), waitStrategy);
            Publish(ring, 1);
            Eventually.True(() => log.Count == 1, "the event");

            // Now waiting for sequence 1, which never comes: only the halt can end the wait.
            processor.Halt();
            Assert.True(processor.WaitForShutdown(Eventually.Timeout));
            Assert.False(processor.IsRunning);
            Assert.Equal(0, processor.Sequence.Value);
        }
    }

    private sealed class SlotChecks
    {
        public int Handled;
        public int Mismatches;
    }

    private readonly struct SlowCheckingHandler(SlotChecks checks) : IEventHandler<TestEvent>
    {
        public void OnEvent(ref TestEvent data, long sequence, bool endOfBatch)
        {
            // Dawdle on some events so the producer laps the 4-slot ring and has to wait at the gate.
            if (sequence % 64 == 0)
                Thread.SpinWait(2_000);
            if (data.Value != Expected(sequence))
                checks.Mismatches++;
            checks.Handled++;
        }
    }

    private sealed class PayloadTally(int producers, int perProducer)
    {
        private readonly int[] _seen = new int[producers * perProducer];
        private readonly int[] _lastIndex = Enumerable.Repeat(-1, producers).ToArray();

        public int OutOfOrder { get; private set; }
        public int Unknown { get; private set; }

        public static long Payload(int producer, int index) => ((long)producer << 32) | (uint)index;

        public int Seen(int producer, int index) => _seen[producer * perProducer + index];

        public void Record(long payload)
        {
            int producer = (int)(payload >> 32);
            int index = (int)(uint)payload;
            if (producer < 0 || producer >= producers || index >= perProducer)
            {
                Unknown++;
                return;
            }

            _seen[producer * perProducer + index]++;
            // One producer's claims increase, and the consumer reads in sequence order.
            if (index <= _lastIndex[producer])
                OutOfOrder++;
            _lastIndex[producer] = index;
        }
    }

    private readonly struct TallyHandler(PayloadTally tally) : IEventHandler<TestEvent>
    {
        public void OnEvent(ref TestEvent data, long sequence, bool endOfBatch) => tally.Record(data.Value);
    }

    private readonly struct StageOneHandler : IEventHandler<TestEvent>
    {
        public void OnEvent(ref TestEvent data, long sequence, bool endOfBatch) => data.Stage1 = data.Value * 3 + 1;
    }

    private sealed class ChainChecks(Sequence first)
    {
        public readonly Sequence First = first;
        public int Handled;
        public int MissingStageOne;
        public int AheadOfFirst;
    }

    private readonly struct StageTwoHandler(ChainChecks checks) : IEventHandler<TestEvent>
    {
        public void OnEvent(ref TestEvent data, long sequence, bool endOfBatch)
        {
            if (data.Stage1 != data.Value * 3 + 1)
                checks.MissingStageOne++;
            if (sequence > checks.First.Value)
                checks.AheadOfFirst++;
            // Reset so a stale Stage1 from the previous lap could never pass the check above.
            data.Stage1 = 0;
            checks.Handled++;
        }
    }

    private readonly struct ThrowingHandler : IEventHandler<TestEvent>
    {
        public const long Poison = -13;

        public void OnEvent(ref TestEvent data, long sequence, bool endOfBatch)
        {
            if (data.Value == Poison)
                throw new InvalidOperationException("poison");
        }
    }

    private sealed class AllocationProbe(long startSequence, long endSequence)
    {
        public readonly long StartSequence = startSequence;
        public readonly long EndSequence = endSequence;
        public long StartBytes;
        public long ConsumerBytes = -1;
    }

    private readonly struct AllocationProbeHandler(AllocationProbe probe) : IEventHandler<TestEvent>
    {
        public void OnEvent(ref TestEvent data, long sequence, bool endOfBatch)
        {
            if (sequence == probe.StartSequence)
                probe.StartBytes = GC.GetAllocatedBytesForCurrentThread();
            else if (sequence == probe.EndSequence)
                probe.ConsumerBytes = GC.GetAllocatedBytesForCurrentThread() - probe.StartBytes;
        }
    }
}
