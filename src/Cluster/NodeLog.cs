using System.Buffers.Binary;
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
/// class implements three of their methods again (interface re-implementation) and calls the library's own, so nothing of
/// the log's behaviour changes: the appends and commits only signal, and a snapshot install only waits first.
/// <para>
/// A snapshot install waits first for the log's background flusher to have nothing pending (<see cref="QuiesceFlusherAsync"/>):
/// DotNext.Net.Cluster 6.12.2's flusher reads the snapshot index before its read lock and not again under it, and an
/// install in between made it flush up to the installed index, which this node never wrote, and stop the log for good
/// (<c>MissingPageException</c>; docs/cluster.md, "The write-ahead log's flusher and an installed snapshot").
/// </para>
/// </remarks>
internal sealed class NodeLog(WriteAheadLog.Options options, IStateMachine machine)
    : WriteAheadLog(options, machine), IAuditTrail, IAuditTrail<IRaftLogEntry>
{
    // The library's checkpoint file (6.12.2: a u32 version, 1, then the flushed commit index and the flushed last index,
    // little-endian), written by the flusher under its read lock after each flush.
    private readonly string _checkpoint = Path.Combine(options.Location, "checkpoint");

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

    /// <summary>
    /// Why the log stopped for good, or null while it works. DotNext.Net.Cluster 6.12.2 keeps the first exception of its
    /// background work (the flusher's, or the applier's: whatever <see cref="IStateMachine.ApplyAsync"/> threw) and from
    /// then on fails every append, commit, read and wait with <see cref="WriteAheadLog.InternalException"/> wrapping it: the node
    /// neither follows nor leads until the log is opened again (docs/cluster.md, "A node whose log has stopped").
    /// Read through the library's public wait for an index already applied, which fails at once on a stopped log.
    /// </summary>
    internal Exception? Stopped
    {
        get
        {
            var probe = WaitForApplyAsync(0L, CancellationToken.None);
            if (!probe.IsCompleted)
            {
                // Not expected (index 0 is always applied); let the wait end on its own.
                _ = probe.AsTask();
                return null;
            }
            try
            {
                probe.GetAwaiter().GetResult();
                return null;
            }
            catch (InternalException e)
            {
                return e.InnerException ?? e;
            }
            catch (ObjectDisposedException)
            {
                return null;
            }
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

    ValueTask IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(TEntry entry, long startIndex, CancellationToken token) =>
        entry.IsSnapshot ? InstallAsync(entry, startIndex, token) : AppendAsync(entry, startIndex, token);

    private async ValueTask InstallAsync<TEntry>(TEntry snapshot, long index, CancellationToken token)
        where TEntry : IRaftLogEntry
    {
        await QuiesceFlusherAsync(token).ConfigureAwait(false);
        await AppendAsync(snapshot, index, token).ConfigureAwait(false);
    }

    /// <summary>
    /// Returns once the background flusher has flushed every entry and checkpointed the commit index, so that it has
    /// nothing pending: a flusher with nothing pending does not take its read lock, and cannot act on a snapshot index read
    /// before an install (the library's race, see the remarks). Called where nothing else moves the log: the library installs
    /// a snapshot under its transition lock, after stepping down. Gives up waiting after 2 s (the install goes ahead, as
    /// before), or at once if the checkpoint file is not the 6.12.2 layout.
    /// </summary>
    internal async Task QuiesceFlusherAsync(CancellationToken token)
    {
        long deadline = Environment.TickCount64 + 2000;
        while (true)
        {
            await FlushAsync(token).ConfigureAwait(false);
            if (FlusherCaughtUp() || Environment.TickCount64 > deadline)
                return;
            await Task.Delay(1, token).ConfigureAwait(false);
        }
    }

    private bool FlusherCaughtUp()
    {
        Span<byte> bytes = stackalloc byte[20];
        try
        {
            using var handle = File.OpenHandle(_checkpoint, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            if (RandomAccess.Read(handle, bytes, 0) < bytes.Length || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != 1)
                return true;
        }
        catch (IOException)
        {
            return true;
        }

        return BinaryPrimitives.ReadInt64LittleEndian(bytes[4..]) >= LastCommittedEntryIndex
               && BinaryPrimitives.ReadInt64LittleEndian(bytes[12..]) >= LastEntryIndex;
    }

    private async ValueTask<long> AppendedAsync(ValueTask<long> append, SharedTerm own)
    {
        long index = await append.ConfigureAwait(false);
        own.Appended(index);
        _moved.Set();
        return index;
    }
}
