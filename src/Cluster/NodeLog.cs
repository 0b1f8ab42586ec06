using System.Runtime.CompilerServices;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace Exchange.Cluster;

/// <summary>
/// The node's write-ahead log: the library's <see cref="WriteAheadLog"/>, unchanged, with two observation points the
/// leader's journal waits on: the index an entry of a shared term was appended at (<see cref="SharedTerm.Appended"/>),
/// and every move of the commit index. So the journal's commit returns once the commit index passes its entry (the
/// leader's own flush of it done: the library commits only flushed entries; and a follower holding it), not once the
/// leader's applier has also recorded it and the library's waiter has been woken from there (docs/cluster.md,
/// "Durability and the commit's latency").
/// </summary>
/// <remarks>
/// The library calls the log through its interfaces (<see cref="IAuditTrail"/>, <see cref="IAuditTrail{T}"/>); this
/// class implements the two methods again (interface re-implementation) and calls the library's own, so nothing of the
/// log's behaviour changes: it only signals.
/// </remarks>
internal sealed class NodeLog(WriteAheadLog.Options options, IStateMachine machine)
    : WriteAheadLog(options, machine), IAuditTrail, IAuditTrail<IRaftLogEntry>
{
    // One journal waits at a time (the leader's, on its pipeline's thread); anything that may end its wait sets this.
    // Not disposed: it holds no kernel handle unless asked for one, and a late signal must not throw.
    private readonly ManualResetEventSlim _moved = new(false, spinCount: 1);

    // The pipeline of the leader's journal, when its commits overlap: woken with the journal (RaftJournal.OnCommitProgress).
    private Action? _progress;

    /// <summary>Wakes the journal waiting in <see cref="WaitCommitted"/> or <see cref="WaitAppended"/>, and its
    /// pipeline if it waits for a commit in flight (each checks its condition again).</summary>
    internal void Wake()
    {
        _moved.Set();
        Volatile.Read(ref _progress)?.Invoke();
    }

    /// <summary>What to call besides waking the journal's own wait (the latest leadership's pipeline; null: nothing).</summary>
    internal void OnProgress(Action? progress) => Volatile.Write(ref _progress, progress);

    /// <summary>
    /// Blocks until the entry being appended for <paramref name="shared"/> has its index, and returns it. Throws
    /// <see cref="OperationCanceledException"/> once <paramref name="leadership"/> is cancelled, and what
    /// <paramref name="commit"/> failed with if it failed first (before its append: the entry is not in the log).
    /// </summary>
    internal long WaitAppended(SharedTerm shared, Task commit, CancellationToken leadership)
    {
        while (true)
        {
            _moved.Reset();
            long index = shared.PendingIndex;
            if (index > 0)
                return index;
            leadership.ThrowIfCancellationRequested();
            if (commit.IsCompleted)
            {
                // Failed (NotLeaderException, cancelled): the append did not happen. Done: the append's index was
                // written before the commit could complete, which the next look sees.
                commit.GetAwaiter().GetResult();
                continue;
            }
            _moved.Wait();
        }
    }

    /// <summary>
    /// Whether the commit index has reached <paramref name="index"/> (an entry this leadership appended) while
    /// <paramref name="leadership"/> holds. Throws <see cref="OperationCanceledException"/> once
    /// <paramref name="leadership"/> is cancelled (the entry may still be committed by the next leader, or dropped).
    /// </summary>
    /// <remarks>
    /// The fence on the leadership's term: the commit index is read before the leadership token. The library cancels a
    /// leader's token as it leaves the leader's state (the old state's disposal, awaited before it handles anything of
    /// the next leader's: an AppendEntries steps down first, then touches the log), and a leader moves its commit index
    /// only over entries a majority of its term holds. So a commit index at or past the entry, read while the token still
    /// holds, is this leadership's own commit of its own entry; one moved by the next leader is seen only after the token
    /// is cancelled, and the look throws.
    /// </remarks>
    internal bool IsCommitted(long index, CancellationToken leadership)
    {
        bool reached = LastCommittedEntryIndex >= index;
        leadership.ThrowIfCancellationRequested();
        return reached;
    }

    /// <summary>
    /// Blocks until the commit index reaches <paramref name="index"/> (an entry this leadership appended, whose
    /// append-and-commit task is <paramref name="commit"/>), while <paramref name="leadership"/> holds (<see cref="IsCommitted"/>).
    /// Throws <see cref="OperationCanceledException"/> once <paramref name="leadership"/> is cancelled, and what
    /// <paramref name="commit"/> failed with if it failed first.
    /// </summary>
    internal void WaitCommitted(long index, Task commit, CancellationToken leadership)
    {
        while (true)
        {
            _moved.Reset();
            if (IsCommitted(index, leadership))
                return;
            if (commit.IsCompleted)
            {
                // Failed (NotLeaderException, cancelled), or done: it completes only after the commit, which the next
                // look sees.
                commit.GetAwaiter().GetResult();
                continue;
            }
            _moved.Wait();
        }
    }

    bool IAuditTrail.IsLogEntryLengthAlwaysPresented => true;

    ValueTask<long> IAuditTrail.CommitAsync(long endIndex, CancellationToken token)
    {
        var commit = CommitAsync(endIndex, token);
        if (!commit.IsCompleted)
            return CommittedAsync(commit);
        Wake();
        return commit;
    }

    private async ValueTask<long> CommittedAsync(ValueTask<long> commit)
    {
        try
        {
            return await commit.ConfigureAwait(false);
        }
        finally
        {
            Wake();
        }
    }

    ValueTask<long> IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(TEntry entry, CancellationToken token)
    {
        var append = AppendAsync(entry, token);
        if (typeof(TEntry) != typeof(BinaryLogEntry) || Unsafe.As<TEntry, BinaryLogEntry>(ref entry).Context is not SharedTerm own)
            return append;
        if (!append.IsCompletedSuccessfully)
            return AppendedAsync(append, own);
        long index = append.Result;
        own.Appended(index);
        _moved.Set();
        return new ValueTask<long>(index);
    }

    private async ValueTask<long> AppendedAsync(ValueTask<long> append, SharedTerm own)
    {
        long index = await append.ConfigureAwait(false);
        own.Appended(index);
        _moved.Set();
        return index;
    }
}
