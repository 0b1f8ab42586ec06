using System.Runtime.CompilerServices;
using Exchange.Core.Journal;

namespace Exchange.Core.Pipeline;

/// <summary>
/// Takes a snapshot after every command whose sequence reaches a multiple of the interval. The state is only consistent
/// between two commands, so the business-logic thread captures it there: block copies of its raw arrays into a reused
/// <see cref="SnapshotImage"/>, a memory copy instead of a serialization (docs/benchmarks.md, "Snapshot pause"). The
/// held positions' lots and costs are copied after it, a slice after each following command and slice by slice while
/// the input is idle (the end of a batch, until a command arrives), each account's before a fill writes them. Serializing the copy, writing the
/// bytes, fsyncing and renaming happen on a thread-pool thread.
/// </summary>
/// <remarks>
/// The file is renamed into place only once the journal has committed the snapshot's last command: every snapshot's
/// commands are then also in the journal, so recovery that falls back past a damaged snapshot to an older one (or to
/// none) still finds every later command in the journal. If the previous snapshot is still being written when the
/// next is due, the new one is skipped rather than queued (memory stays bounded; the next interval tries again).
/// After each snapshot, journal files wholly covered by the oldest snapshot kept are removed or archived
/// (<see cref="JournalRetention"/>; with a <see cref="SnapshotStore.Floor"/>, that snapshot is at or below the floor), so the journal's disk and the restart time stay bounded. A clean shutdown takes
/// one more snapshot of the final state (<see cref="TakeFinal"/>): the next start then replays nothing. The periodic
/// snapshots are serialized into one buffer, reused: it is free again whenever a new one is taken (the previous is
/// written), so it grows only to the largest state, and sustained load allocates no large object per snapshot.
/// </remarks>
internal sealed class SnapshotTaker
{
    private readonly SnapshotStore _store;
    private readonly long _every;
    private readonly Sequence? _journaled;
    private readonly PipelineAbort _abort;
    private readonly JournalOptions? _journal;
    private Task? _pending;
    // A capture whose positions are still being copied (SnapshotImage.Capture with deferPositions), and its sequences.
    private bool _copying;
    private long _copyingSequence, _copyingInput;
    // The periodic snapshots' bytes: read by the writing task, refilled only once that task is complete.
    private readonly SnapshotBuffer _buffer = new();
    private long _lastSequence;
    // The exchange's sequence after the previous applied command; -1 before the first.
    private long _previous = -1;
    private volatile Exception? _fault;
    private long _removedJournalFiles;

    public SnapshotTaker(SnapshotStore store, long every, Sequence? journaled, PipelineAbort abort, JournalOptions? journal)
    {
        _store = store;
        _journal = journal;
        _every = every;
        _journaled = journaled;
        _abort = abort;
    }

    /// <summary>The sequence of the newest snapshot written by this pipeline; 0 before any.</summary>
    public long LastSequence => Volatile.Read(ref _lastSequence);

    /// <summary>How many journal files retention removed or archived.</summary>
    public long RemovedJournalFiles => Interlocked.Read(ref _removedJournalFiles);

    /// <summary>How many due snapshots were skipped because the previous one was still being written.</summary>
    public long Skipped { get; private set; }

    /// <summary>The last failure to write a snapshot (the pipeline goes on: the journal still holds everything).</summary>
    public Exception? Fault => _fault;

    /// <summary>Called on the business-logic thread after each applied command (not after a query).</summary>
    public void OnApplied(Exchange exchange, long inputSequence)
    {
        if (_copying)
            CopySome(exchange, PositionsPerCommand);
        long sequence = exchange.LastSequence;
        if (_previous < 0)
            _previous = sequence - 1;
        // Due when the sequence reaches or passes a multiple of the interval: queries take sequences too, and are
        // never applied here, so a multiple may be skipped over.
        if (sequence / _every != _previous / _every)
            Take(exchange, inputSequence);
        _previous = sequence;
    }

    /// <summary>
    /// Called on the business-logic thread at the end of a batch, <paramref name="sequence"/> the last input slot it
    /// handled: while no later command has been claimed in <paramref name="input"/>, the positions a capture deferred
    /// are copied, slice by slice, so a command arriving meanwhile waits for one slice at most; once all are copied
    /// the snapshot is handed to the writer.
    /// </summary>
    public void OnBatchEnd(Exchange exchange, RingBuffer<CommandSlot> input, long sequence)
    {
        if (_copying)
            CopyWhileIdle(exchange, input, sequence);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CopyWhileIdle(Exchange exchange, RingBuffer<CommandSlot> input, long sequence)
    {
        while (_copying && input.Cursor <= sequence)
            CopySome(exchange, PositionsPerCommand);
    }

    /// <summary>Waits for a snapshot being written; false if it did not finish within <paramref name="timeout"/>.</summary>
    public bool Finish(TimeSpan timeout)
    {
        var pending = _pending;
        return pending is null || pending.Wait(timeout);
    }

    /// <summary>
    /// Clean shutdown, once the pipeline's threads have stopped and every command is journaled: writes the final state
    /// (unless a snapshot of it exists already), on the calling thread.
    /// </summary>
    public void TakeFinal(Exchange exchange)
    {
        // A capture still being copied (the threads stopped before an idle end of batch): finished and written here,
        // before the final one, so the newest snapshot is the final state.
        if (_copying)
        {
            exchange.AccountStore.CopyDeferredPositions(int.MaxValue);
            _copying = false;
            Persist(_copyingSequence, _copyingInput);
        }
        long sequence = exchange.LastSequence;
        var newest = _store.List();
        if (sequence == 0 || (newest.Length > 0 && newest[0].Sequence >= sequence))
            return;
        try
        {
            _store.Write(sequence, SnapshotCodec.Write(exchange));
            Written(sequence);
        }
        catch (IOException exception)
        {
            // The journal still holds everything: the next start replays it instead.
            _fault = exception;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Take(Exchange exchange, long inputSequence)
    {
        if (_copying || _pending is { IsCompleted: false })
        {
            Skipped++;
            return;
        }

        // The pause: block copies of the raw state (SnapshotImage), all but the positions' lots and costs, which are
        // copied over the next commands (CopySome; a fill copies its account's first). The previous snapshot is
        // written (checked above), so its image and bytes are free to refill.
        _copyingSequence = exchange.LastSequence;
        _copyingInput = inputSequence;
        _buffer.Image.Capture(exchange, deferPositions: true);
        _copying = true;
    }

    /// <summary>Copies the deferred positions of up to <paramref name="accounts"/> more accounts; once the image is
    /// complete, hands it to a pool thread to serialize and write.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CopySome(Exchange exchange, int accounts)
    {
        if (!exchange.AccountStore.CopyDeferredPositions(accounts))
            return;
        _copying = false;
        long sequence = _copyingSequence, inputSequence = _copyingInput;
        _pending = Task.Run(() => Persist(sequence, inputSequence));
    }

    /// <summary>
    /// Accounts whose deferred positions are copied after each applied command, and per slice while the input is idle
    /// (<see cref="OnBatchEnd"/>): ~10 us at 100k accounts, cold (docs/benchmarks.md, "Snapshot pause: the positions
    /// copied after the pause").
    /// </summary>
    private const int PositionsPerCommand = 1024;

    /// <summary>Whether a capture's deferred positions are still being copied (its snapshot not yet handed to the writer).</summary>
    internal bool Copying => _copying;

    /// <summary>Bytes the snapshot buffer holds (it grows to the largest state serialized, and is reused).</summary>
    internal long BufferCapacity => _buffer.Capacity;

    private void Persist(long sequence, long inputSequence)
    {
        try
        {
            // Off the business-logic thread: the image is a copy, so the exchange goes on meanwhile.
            SnapshotCodec.Write(_buffer.Image, _buffer);
            if (_journaled is not null)
            {
                var spin = new SpinWait();
                while (_journaled.Value < inputSequence)
                {
                    if (_abort.IsRequested)
                        return;
                    spin.SpinOnce();
                }
            }

            _store.Write(sequence, _buffer.Written);
            Written(sequence);
        }
        catch (Exception exception)
        {
            _fault = exception;
        }
    }

    // Retention first: a snapshot counts as written (and the next may be taken) once the journal behind it is trimmed.
    private void Written(long sequence)
    {
        if (_journal is not null)
        {
            Interlocked.Add(ref _removedJournalFiles,
                JournalRetention.RemoveCovered(_journal.Directory, _store.CoveredSequence(), _journal.ArchiveDirectory));
        }

        Volatile.Write(ref _lastSequence, sequence);
    }
}
