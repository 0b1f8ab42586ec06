using Exchange.Core.Journal;

namespace Exchange.Core.Pipeline;

/// <summary>
/// The whole pipeline as one input-ring handler (<see cref="PipelineTopology.SingleThread"/>): it journals every
/// command of a batch, commits the batch (the durability gate), then applies the batch's commands one by one and
/// hands each command's events straight to the <see cref="IOutputHandler"/>, read in place from the exchange's buffer.
/// </summary>
/// <remarks>
/// With a <see cref="CommitWindow"/> (a journal with <see cref="IJournal.MaxCommitsInFlight"/> above 1) commits overlap:
/// a batch's commit is begun at its end and the batch applied once it is done, while the next batches are journaled
/// and their commits begun (see <see cref="Overlapped"/>). Still nothing is applied or acknowledged before its commit.
/// </remarks>
internal struct SingleThreadHandler(
    RingBuffer<CommandSlot> input, Exchange exchange, IJournal? journal, Sequence? journaled,
    IOutputHandler output, SnapshotTaker? snapshots, CommitWindow? window = null) : IEventHandler<CommandSlot>
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

        if (window is not null)
        {
            long start = _batchStart;
            _batchStart = -1;
            Overlapped(window, start, sequence);
            return;
        }

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

    /// <summary>
    /// The end of ring batch <paramref name="first"/>..<paramref name="last"/> with commits overlapping: begins its
    /// commit, then applies every batch whose commit is done, oldest first, and returns once none is left in flight, or
    /// once more input is published and the window has room (the processor hands that input over at once, and its end
    /// comes back here). Otherwise it sleeps until a commit moves or input comes. A commit that fails throws: the
    /// batches after the last applied one are never applied or acknowledged.
    /// </summary>
    private void Overlapped(CommitWindow window, long first, long last)
    {
        journal!.BeginCommit();
        window.Push(first, last);
        while (true)
        {
            // Read before the journal is looked at: a signal after the look moves it, so the wait below returns.
            long seen = window.Progress;
            while (window.Count > 0 && journal.TryEndCommit())
            {
                long from = window.OldestFirst, to = window.OldestLast;
                window.Pop();
                journaled!.SetValue(to);
                for (long s = from; s <= to; s++)
                    Apply(ref input[s], s);
                // Every applied batch ends the output's batch: the next one waits for a commit, not for the thread.
                output.OnEndOfBatch();
                journal.BatchApplied();
                // Release store: producers may overwrite these slots from here on.
                window.Applied.SetValue(to);
            }

            if (window.Count == 0)
                return;
            bool room = window.Count < window.Max;
            if (room && window.InputAfter(last))
                return;
            window.Wait(room ? last + 1 : long.MaxValue, seen);
        }
    }

    private void EndOfBatch(long sequence)
    {
        if (_batchEnds.ShouldSignal(input.Cursor > sequence))
            output.OnEndOfBatch();
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
