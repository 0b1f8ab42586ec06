using System.Runtime.CompilerServices;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace Exchange.Cluster;

/// <summary>
/// The node's write-ahead log (the library's <see cref="WriteAheadLog"/>, unchanged) with two observation points the
/// leader's journal waits on: the index an entry of the journal was appended at, and each move of the commit index.
/// So a journal commit returns when the commit index reaches its entry (the leader's own flush of it done, a follower
/// holding it), instead of when the leader's applier has also taken it and a waiter has been woken from there
/// (docs/cluster.md, "Durability and the commit's latency").
/// </summary>
/// <remarks>
/// The library calls the log through its interfaces; this class implements the two methods again (interface
/// re-implementation) and calls the library's own, so nothing of the log's behaviour changes: it only signals.
/// </remarks>
internal sealed class NodeLog(WriteAheadLog.Options options, IStateMachine machine)
    : WriteAheadLog(options, machine), IAuditTrail, IAuditTrail<IRaftLogEntry>
{
    // One journal waits at a time (the leader's, on its pipeline's thread); anything that may end its wait sets this.
    // Never disposed (it holds no kernel handle unless asked for one): a leadership token cancelled late still sets it.
    private readonly ManualResetEventSlim _moved = new(false);

    /// <summary>Wakes the journal waiting in <see cref="WaitCommitted"/> (it checks its condition again).</summary>
    internal void Wake() => _moved.Set();

    /// <summary>
    /// Blocks until the commit index reaches the entry <paramref name="entry"/> was appended as, while
    /// <paramref name="leadership"/> holds. Returns the entry's index. Throws <see cref="OperationCanceledException"/>
    /// on <paramref name="leadership"/> once it is cancelled (the entry may still be committed by the next leader, or
    /// dropped), and what the replication failed with if it failed first.
    /// </summary>
    /// <remarks>
    /// The commit index is read before the leadership: a node steps down (cancelling its leadership) before it takes
    /// any entry of another leader, so a commit index seen at or past the entry while the leadership still holds is
    /// this leader's own commit of it.
    /// </remarks>
    internal long WaitCommitted(JournalEntry entry, CancellationToken leadership)
    {
        while (true)
        {
            _moved.Reset();
            long index = entry.Index;
            if (index > 0 && LastCommittedEntryIndex >= index)
            {
                leadership.ThrowIfCancellationRequested();
                return index;
            }
            leadership.ThrowIfCancellationRequested();
            if (entry.Failure is { } failure)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            _moved.Wait();
        }
    }

    bool IAuditTrail.IsLogEntryLengthAlwaysPresented => true;

    ValueTask<long> IAuditTrail.CommitAsync(long endIndex, CancellationToken token)
    {
        var commit = CommitAsync(endIndex, token);
        if (!commit.IsCompletedSuccessfully)
            return CommittedAsync(commit);
        long count = commit.Result;
        _moved.Set();
        return new ValueTask<long>(count);
    }

    private async ValueTask<long> CommittedAsync(ValueTask<long> commit)
    {
        try
        {
            return await commit.ConfigureAwait(false);
        }
        finally
        {
            _moved.Set();
        }
    }

    ValueTask<long> IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(TEntry entry, CancellationToken token)
    {
        var append = AppendAsync(entry, token);
        if (typeof(TEntry) != typeof(BinaryLogEntry) || Unsafe.As<TEntry, BinaryLogEntry>(ref entry).Context is not JournalEntry own)
            return append;
        if (!append.IsCompletedSuccessfully)
            return AppendedAsync(append, own);
        long index = append.Result;
        own.Appended(index);
        _moved.Set();
        return new ValueTask<long>(index);
    }

    private async ValueTask<long> AppendedAsync(ValueTask<long> append, JournalEntry own)
    {
        long index = await append.ConfigureAwait(false);
        own.Appended(index);
        _moved.Set();
        return index;
    }
}

/// <summary>
/// The context of every entry a <see cref="RaftJournal"/> appends (one object per journal, reused entry after entry):
/// the log writes the index of the entry being committed into it, and the state machine knows the journal's entries by
/// it (<see cref="Shared"/>: the term in which the pipeline owns the state, or null for a copying leader).
/// </summary>
internal sealed class JournalEntry(SharedTerm? shared)
{
    private long _index;
    private long _number;
    private volatile Tuple<long, Exception>? _failure;

    /// <summary>The term in which this journal's pipeline runs on the state machine's exchange (null: on a copy).</summary>
    public SharedTerm? Shared { get; } = shared;

    /// <summary>The index the entry being committed was appended at; 0 until it is.</summary>
    public long Index => Volatile.Read(ref _index);

    /// <summary>Why the replication of the entry being committed failed (null: it did not, or not yet).</summary>
    public Exception? Failure => _failure is { } failure && failure.Item1 == Interlocked.Read(ref _number) ? failure.Item2 : null;

    /// <summary>Before the next entry is appended: returns its number (<see cref="Failed"/> takes it).</summary>
    public long Next()
    {
        Volatile.Write(ref _index, 0);
        return Interlocked.Increment(ref _number);
    }

    public void Appended(long index) => Volatile.Write(ref _index, index);

    /// <summary>The replication of entry <paramref name="number"/> failed; ignored once a later entry is being
    /// committed (that one was committed: its wait had returned).</summary>
    public void Failed(long number, Exception failure) => _failure = Tuple.Create(number, failure);
}
