using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using DotNext.Net.Cluster.Consensus.Raft;
using Exchange.Core.Commands;
using Exchange.Core.Journal;

namespace Exchange.Cluster;

/// <summary>
/// The leader's journal: the pipeline's journal stage appends a ring batch and commits it, and the commit appends the
/// batch to the Raft log as one entry (the journal's own record format) and ends once a majority of the nodes holds it.
/// The pipeline lets a command's output go only after that, so nothing is acknowledged that a majority does not have.
/// Good for one leadership (<see cref="ClusterNode.TakeOverAsync"/>): once the node is deposed every commit throws
/// <see cref="LeadershipLostException"/>, which stops the pipeline, so a deposed leader acknowledges nothing more.
/// </summary>
/// <remarks>
/// A batch larger than <see cref="DefaultMaxEntryBytes"/> (or the size given) goes out as several entries, so an
/// entry's size is bounded whatever the ring size. Sharing the state machine's exchange, commits overlap
/// (<see cref="MaxCommitsInFlight"/>, <see cref="ClusterOptions.CommitsInFlight"/>): the single-thread pipeline appends
/// the next batch's entry while earlier ones are committing and ends each batch's commit, in order, once the commit
/// index passes its last entry (<see cref="TryEndCommit"/>, fenced on the leadership as <see cref="NodeLog.IsCommitted"/>
/// says). With one commit in flight (and for a copying leadership) <see cref="Commit"/> blocks the journal thread for a
/// majority round trip; the ring batches that pile up meanwhile make the next entry larger (group commit).
/// </remarks>
public sealed class RaftJournal : IJournal
{
    /// <summary>The default bound of one log entry: 1 MiB, about twelve thousand commands.</summary>
    public const int DefaultMaxEntryBytes = 1024 * 1024;

    private readonly ClusterNode _node;
    private readonly CancellationToken _leadership;
    private readonly long _term;
    private readonly SharedTerm? _shared;
    private readonly int _maxCommits;
    // The entries appended and not yet known committed, oldest first, each with its own buffer (the library reads an
    // entry's bytes during its append; a buffer is written again only once its entry is committed). The buffer being
    // filled is the one after them.
    private readonly byte[][] _buffers;
    private readonly long[] _entryIndex;
    private readonly Task?[] _entryCommit;
    private int _entryHead;
    private int _entriesInFlight;
    private int _count;
    // The ring batches whose commits were begun and not yet ended: the index of each one's last entry, its last sequence.
    private readonly long[] _batchIndex;
    private readonly long[] _batchSequence;
    private int _batchHead;
    private int _batchesInFlight;
    // The index of the last entry this journal appended (0: none yet).
    private long _lastIndex;
    // Sharing the state machine's exchange: a ring batch was committed, and the single-thread pipeline applies it
    // before it calls BatchApplied.
    private bool _batchApplying;

    internal RaftJournal(ClusterNode node, CancellationToken leadership, long term, long lastSequence, int maxEntryBytes, SharedTerm? shared,
        int commitsInFlight = 1)
    {
        _term = term;
        _shared = shared;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntryBytes, JournalBatch.RecordSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(commitsInFlight, 1);
        _node = node;
        _leadership = leadership;
        // Overlapping needs the entries' indexes, which the log reports for the shared term's entries only.
        _maxCommits = shared is null ? 1 : commitsInFlight;
        _buffers = new byte[_maxCommits][];
        _buffers[0] = new byte[maxEntryBytes - maxEntryBytes % JournalBatch.RecordSize];
        _entryIndex = new long[_maxCommits];
        _entryCommit = new Task?[_maxCommits];
        _batchIndex = new long[_maxCommits];
        _batchSequence = new long[_maxCommits];
        LastSequence = lastSequence;
        // A commit waiting at the commit index when the leadership ends must wake to throw.
        if (shared is not null)
            leadership.UnsafeRegister(static state => ((ClusterNode)state!).WakeJournal(), node);
    }

    /// <inheritdoc/>
    public long LastSequence { get; private set; }

    /// <summary>The sequence of the last command a majority holds, as the last commit ended says.</summary>
    public long CommittedSequence { get; private set; }

    /// <summary>The log index of the entry that ends the last batch whose commit ended (sharing the state machine's
    /// exchange; 0 otherwise): while the pipeline applies and acknowledges a batch, that batch's last entry.</summary>
    public long CommittedIndex { get; private set; }

    /// <summary>How many log entries this journal appended whose commit it saw.</summary>
    public long Entries { get; private set; }

    /// <summary>The most batches whose commits were in flight at once so far (1: they never overlapped).</summary>
    public int MostInFlight { get; private set; }

    /// <inheritdoc/>
    public int MaxCommitsInFlight => _maxCommits;

    /// <inheritdoc/>
    public void Append(in Command command)
    {
        if (command.Sequence <= LastSequence)
            ThrowNotIncreasing(command.Sequence, LastSequence);
        var buffer = Filling();
        if (_count == buffer.Length)
        {
            SendEntry();
            buffer = Filling();
        }
        JournalBatch.Write(buffer.AsSpan(_count), command);
        _count += JournalBatch.RecordSize;
        LastSequence = command.Sequence;
    }

    /// <inheritdoc/>
    public void Commit()
    {
        if (_count > 0)
            SendEntry();
        if (_entriesInFlight > 0)
        {
            // Every entry sent is committed once the last one is.
            CommittedIndex = WaitAndRetire((_entryHead + _entriesInFlight - 1) % _buffers.Length);
        }
        CommittedSequence = LastSequence;
        _batchApplying = _shared is not null && CommittedSequence > _reported;
    }

    /// <inheritdoc/>
    public void BeginCommit()
    {
        if (_count > 0)
            SendEntry();
        if (_batchesInFlight == _batchIndex.Length)
            throw new InvalidOperationException($"More than {_batchIndex.Length} commits begun and not ended.");
        int at = (_batchHead + _batchesInFlight) % _batchIndex.Length;
        // A batch with nothing journaled ends with the batch before it.
        _batchIndex[at] = _lastIndex;
        _batchSequence[at] = LastSequence;
        _batchesInFlight++;
        if (_batchesInFlight > MostInFlight)
            MostInFlight = _batchesInFlight;
    }

    /// <inheritdoc/>
    public bool TryEndCommit()
    {
        if (_batchesInFlight == 0)
            return true;
        long index = _batchIndex[_batchHead];
        try
        {
            if (index > 0 && !_node.IsCommitted(index, _leadership))
            {
                ThrowIfFailed(index);
                return false;
            }
        }
        catch (Exception e) when (IsLeadershipEnd(e))
        {
            throw LeadershipLost(e);
        }
        CommittedSequence = Math.Max(CommittedSequence, _batchSequence[_batchHead]);
        CommittedIndex = Math.Max(CommittedIndex, index);
        _batchHead = (_batchHead + 1) % _batchIndex.Length;
        _batchesInFlight--;
        Retire(index);
        _batchApplying = CommittedSequence > _reported;
        return true;
    }

    /// <inheritdoc/>
    public void OnCommitProgress(Action signal)
    {
        if (_shared is not null)
            _node.OnJournalProgress(signal);
    }

    private long _reported;

    /// <summary>
    /// The single-thread pipeline applied the ring batch whose commit last ended: sharing the state machine's exchange,
    /// it is the state after the entry that ends at the batch's last sequence, where the state machine may snapshot.
    /// </summary>
    public void BatchApplied()
    {
        if (!_batchApplying)
            return;
        _batchApplying = false;
        _reported = CommittedSequence;
        _node.StateMachine.PipelineApplied(_shared!, CommittedSequence, CommittedIndex);
    }

    /// <summary>Nothing to release: the log belongs to the node.</summary>
    public void Dispose()
    {
    }

    // The buffer being filled: the one after the entries in flight; if every buffer is in flight, the oldest entry's
    // once it is committed.
    private byte[] Filling()
    {
        if (_count == 0 && _entriesInFlight == _buffers.Length)
            WaitAndRetire(_entryHead);
        int at = (_entryHead + _entriesInFlight) % _buffers.Length;
        return _buffers[at] ??= new byte[_buffers[0].Length];
    }

    // Appends the buffer being filled as one entry and returns once the log has given it its index (sharing the state);
    // a copying leadership's entry is awaited until committed and applied, as the library's own append-and-commit does.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void SendEntry()
    {
        int at = (_entryHead + _entriesInFlight) % _buffers.Length;
        var content = _buffers[at].AsMemory(0, _count);
        long index;
        try
        {
            if (_shared is not { } shared)
            {
                _node.CommitOwnBatchAsync(content, _term, _leadership, null).AsTask().GetAwaiter().GetResult();
                _count = 0;
                Entries++;
                return;
            }

            shared.BeginEntry();
            var commit = _node.CommitOwnBatchAsync(content, _term, _leadership, shared).AsTask();
            if (!commit.IsCompleted)
                commit.ContinueWith(static (task, node) =>
                {
                    _ = task.Exception; // observed: a failure after the commit changes nothing
                    ((ClusterNode)node!).WakeJournal();
                }, _node, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            _entryCommit[at] = commit;
            index = _node.WaitAppended(shared, commit, _leadership);
        }
        catch (Exception e) when (IsLeadershipEnd(e))
        {
            throw LeadershipLost(e);
        }
        _entryIndex[at] = index;
        _entriesInFlight++;
        _lastIndex = index;
        _count = 0;
    }

    // Waits until the entry in flight in buffer `at` is committed (the leadership's end is the pipeline's
    // LeadershipLostException), forgets it and every older one, and returns its index.
    private long WaitAndRetire(int at)
    {
        long index = _entryIndex[at];
        try
        {
            _node.WaitCommitted(index, _entryCommit[at]!, _leadership);
        }
        catch (Exception e) when (IsLeadershipEnd(e))
        {
            throw LeadershipLost(e);
        }
        Retire(index);
        return index;
    }

    // Forgets the entries in flight through `index` (committed).
    private void Retire(long index)
    {
        while (_entriesInFlight > 0 && _entryIndex[_entryHead] <= index)
        {
            _entryCommit[_entryHead] = null;
            _entryHead = (_entryHead + 1) % _buffers.Length;
            _entriesInFlight--;
            Entries++;
        }
    }

    // Rethrows what the commit of an entry in flight through `index` failed with. One that completed without
    // failing is committed, which the next look at the commit index sees.
    private void ThrowIfFailed(long index)
    {
        for (int i = 0; i < _entriesInFlight; i++)
        {
            int at = (_entryHead + i) % _buffers.Length;
            if (_entryIndex[at] > index)
                break;
            if (_entryCommit[at] is { IsFaulted: true } or { IsCanceled: true })
                _entryCommit[at]!.GetAwaiter().GetResult();
        }
    }

    // The library's refusals, and the leadership's end: the pipeline's LeadershipLostException.
    private bool IsLeadershipEnd(Exception e) =>
        e is NotLeaderException || (e is OperationCanceledException && _leadership.IsCancellationRequested);

    private LeadershipLostException LeadershipLost(Exception e) => new(
        $"Node {_node.Options.NodeId} is no longer the leader: commands after sequence {CommittedSequence} were not acknowledged " +
        "(the next leader commits them or drops them).", e);

    [DoesNotReturn]
    private static void ThrowNotIncreasing(long sequence, long last) =>
        throw new ArgumentOutOfRangeException(nameof(sequence), sequence, $"Journal sequences must increase: {sequence} does not follow {last}.");
}
