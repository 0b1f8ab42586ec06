using Exchange.Core.Journal;

namespace Exchange.Core.Pipeline;

/// <summary>
/// The whole pipeline as one input-ring handler (<see cref="PipelineTopology.SingleThread"/>): it journals every
/// command of a batch, commits the batch (the durability gate), then applies the batch's commands one by one and
/// hands each command's events straight to the <see cref="IOutputHandler"/>, read in place from the exchange's buffer.
/// </summary>
internal struct SingleThreadHandler(
    RingBuffer<CommandSlot> input, Exchange exchange, IJournal? journal, Sequence? journaled,
    IOutputHandler output, SnapshotTaker? snapshots) : IEventHandler<CommandSlot>
{
    // The first sequence of the batch being journaled, or −1 between batches.
    private long _batchStart = -1;
    private BatchEnds _batchEnds;

    public void OnEvent(ref CommandSlot data, long sequence, bool endOfBatch)
    {
        if (journal is null)
        {
            Apply(ref data, sequence);
            if (endOfBatch)
                EndOfBatch(sequence);
            return;
        }

        if (_batchStart < 0)
            _batchStart = sequence;
        // Every command but a late joiner's book query, whose answer belongs to no sequenced stream (Command.IsJournaled).
        if (!data.Refused && data.Command.IsJournaled)
            journal.Append(in data.Command);
        if (!endOfBatch)
            return;

        // Nothing of the batch is acknowledged before it is committed. The slots stay ours until the processor
        // moves its sequence past the batch, so they can be read again.
        journal.Commit();
        journaled!.SetValue(sequence);
        long first = _batchStart;
        _batchStart = -1;
        for (long s = first; s <= sequence; s++)
            Apply(ref input[s], s);
        // The output first: a journal's batch-end report may wait (the Raft journal's, for its state machine's applier).
        EndOfBatch(sequence);
        journal.BatchApplied();
    }

    private void EndOfBatch(long sequence)
    {
        if (_batchEnds.ShouldSignal(input.Cursor > sequence))
            output.OnEndOfBatch();
        snapshots?.OnBatchEnd(exchange, input, sequence);
    }

    private readonly void Apply(ref CommandSlot data, long sequence)
    {
        if (data.Refused)
            return;
        output.OnEvents(data.Command.Sequence, data.Correlation, exchange.Apply(in data.Command));
        if (data.Command.IsJournaled)
            snapshots?.OnApplied(exchange, sequence);
    }
}
