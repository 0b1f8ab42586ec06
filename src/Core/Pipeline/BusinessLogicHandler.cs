using System.Runtime.CompilerServices;
using Exchange.Core.Events;

namespace Exchange.Core.Pipeline;

/// <summary>
/// The business-logic processor's handler: the one thread that owns the <see cref="Exchange"/>. Applies each command
/// and copies its events into the output ring, <see cref="OutputSlot.Capacity"/> per slot, publishing each slot as
/// soon as it is written so the output consumer can start on a long cascade while the rest is copied.
/// </summary>
internal struct BusinessLogicHandler(
    RingBuffer<CommandSlot> input, Exchange exchange, RingBuffer<OutputSlot> output, SnapshotTaker? snapshots, PipelineAbort abort)
    : IEventHandler<CommandSlot>
{
    public void OnEvent(ref CommandSlot data, long sequence, bool endOfBatch)
    {
        if (!data.Refused)
            Apply(ref data, sequence);
        if (endOfBatch)
            snapshots?.OnBatchEnd(exchange, input, sequence);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly void Apply(ref CommandSlot data, long sequence)
    {
        var events = exchange.Apply(in data.Command);
        int total = events.Length;
        int offset = 0;
        do
        {
            int count = Math.Min(total - offset, OutputSlot.Capacity);
            if (!output.TryNext(out long slotSequence))
                slotSequence = WaitForRoom();
            ref var slot = ref output[slotSequence];
            slot.InputSequence = sequence;
            slot.CommandSequence = data.Command.Sequence;
            slot.Correlation = data.Correlation;
            slot.Total = total;
            slot.Offset = offset;
            slot.Count = count;
            events.Slice(offset, count).CopyTo(slot.Events);
            output.Publish(slotSequence);
            offset += count;
        }
        while (offset < total);

        if (data.Command.IsJournaled)
            snapshots?.OnApplied(exchange, sequence);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly long WaitForRoom()
    {
        // The output consumer is behind (a slow handler, or waiting for the journal): back off without sleeping a
        // whole millisecond, and give up only if the pipeline is abandoning a faulted stage.
        var spin = new SpinWait();
        long slotSequence;
        while (!output.TryNext(out slotSequence))
        {
            if (abort.IsRequested)
                throw new OperationCanceledException("The pipeline stopped while the output ring was full.");
            spin.SpinOnce(sleep1Threshold: -1);
        }

        return slotSequence;
    }
}
