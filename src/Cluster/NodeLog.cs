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

    /// <summary>Wakes the journal waiting in <see cref="WaitCommitted"/> (it checks its condition again).</summary>
    internal void Wake() => _moved.Set();

    /// <summary>
    /// Blocks until the commit index reaches the entry being appended for <paramref name="shared"/>, while
    /// <paramref name="leadership"/> holds, and returns the entry's index. Throws <see cref="OperationCanceledException"/>
    /// once <paramref name="leadership"/> is cancelled (the entry may still be committed by the next leader, or dropped),
    /// and what <paramref name="commit"/> failed with if it failed first.
    /// </summary>
    /// <remarks>
    /// The fence on the leadership's term: the commit index is read before the leadership token. The library cancels a
    /// leader's token as it leaves the leader's state (the old state's disposal, awaited before it handles anything of
    /// the next leader's: an AppendEntries steps down first, then touches the log), and a leader moves its commit index
    /// only over entries a majority of its term holds. So a commit index at or past the entry, read while the token still
    /// holds, is this leadership's own commit of its own entry; one moved by the next leader is seen only after the token
    /// is cancelled, and the wait throws.
    /// </remarks>
    internal long WaitCommitted(SharedTerm shared, Task commit, CancellationToken leadership)
    {
        while (true)
        {
            _moved.Reset();
            long index = shared.PendingIndex;
            if (index > 0 && LastCommittedEntryIndex >= index)
            {
                leadership.ThrowIfCancellationRequested();
                return index;
            }
            leadership.ThrowIfCancellationRequested();
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
        _moved.Set();
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
            _moved.Set();
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
