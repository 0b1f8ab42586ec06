using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using DotNext.Net.Cluster.Consensus.Raft;
using Exchange.Core.Commands;
using Exchange.Core.Journal;

namespace Exchange.Cluster;

/// <summary>
/// The leader's journal: the pipeline's journal stage appends a ring batch and commits it, and the commit appends the
/// batch to the Raft log as one entry (the journal's own record format) and returns once a majority of the nodes
/// holds it. The pipeline lets a command's output go only after that, so nothing is acknowledged that a majority does
/// not have. Good for one leadership (<see cref="ClusterNode.TakeOverAsync"/>): once the node is deposed every commit
/// throws <see cref="LeadershipLostException"/>, which stops the pipeline, so a deposed leader acknowledges nothing more.
/// </summary>
/// <remarks>
/// A batch larger than <see cref="DefaultMaxEntryBytes"/> (or the size given) goes out as several entries, each
/// awaited in turn, so an entry's size is bounded whatever the ring size. The commit blocks the journal thread for a
/// majority round trip; the ring batches that pile up meanwhile make the next entry larger (group commit).
/// </remarks>
public sealed class RaftJournal : IJournal
{
    /// <summary>The default bound of one log entry: 1 MiB, about twelve thousand commands.</summary>
    public const int DefaultMaxEntryBytes = 1024 * 1024;

    private readonly ClusterNode _node;
    private readonly CancellationToken _leadership;
    private readonly long _term;
    private readonly byte[] _buffer;
    private readonly SharedTerm? _shared;
    private int _count;
    // Sharing the state machine's exchange: a ring batch was committed, and the single-thread pipeline applies it
    // before it calls BatchApplied.
    private bool _batchApplying;

    internal RaftJournal(ClusterNode node, CancellationToken leadership, long term, long lastSequence, int maxEntryBytes, SharedTerm? shared)
    {
        _term = term;
        _shared = shared;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntryBytes, JournalBatch.RecordSize);
        _node = node;
        _leadership = leadership;
        _buffer = new byte[maxEntryBytes - maxEntryBytes % JournalBatch.RecordSize];
        LastSequence = lastSequence;
        // A commit waiting at the commit index when the leadership ends must wake to throw.
        if (shared is not null)
            leadership.UnsafeRegister(static state => ((ClusterNode)state!).WakeJournal(), node);
    }

    /// <inheritdoc/>
    public long LastSequence { get; private set; }

    /// <summary>The sequence of the last command a majority holds.</summary>
    public long CommittedSequence { get; private set; }

    /// <summary>The log index of the last entry committed (sharing the state machine's exchange; 0 otherwise).</summary>
    public long CommittedIndex { get; private set; }

    /// <summary>How many log entries this journal appended.</summary>
    public long Entries { get; private set; }

    /// <inheritdoc/>
    public void Append(in Command command)
    {
        if (command.Sequence <= LastSequence)
            ThrowNotIncreasing(command.Sequence, LastSequence);
        if (_count == _buffer.Length)
            CommitBatch();
        JournalBatch.Write(_buffer.AsSpan(_count), command);
        _count += JournalBatch.RecordSize;
        LastSequence = command.Sequence;
    }

    /// <inheritdoc/>
    public void Commit()
    {
        if (_count > 0)
            CommitBatch();
        _batchApplying = _shared is not null && CommittedSequence > _reported;
    }

    private long _reported;

    /// <summary>
    /// The single-thread pipeline applied the ring batch it last committed: sharing the state machine's exchange, it
    /// is the state after the entry that ends at the batch's last sequence, where the state machine may snapshot.
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

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CommitBatch()
    {
        try
        {
            if (_shared is { } shared)
            {
                // Returns once the commit index reaches the entry (NodeLog.WaitCommitted: the leader's own flush of it is
                // done and a follower holds it, fenced on the leadership), not once the leader's applier has recorded it
                // too: the state machine copes with the pipeline applying an entry before its applier reaches it.
                shared.BeginEntry();
                var commit = _node.CommitOwnBatchAsync(_buffer.AsMemory(0, _count), _term, _leadership, shared).AsTask();
                if (!commit.IsCompleted)
                    commit.ContinueWith(static (task, node) =>
                    {
                        _ = task.Exception; // observed: a failure after the commit changes nothing
                        ((ClusterNode)node!).WakeJournal();
                    }, _node, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                CommittedIndex = _node.WaitCommitted(shared, commit, _leadership);
            }
            else
            {
                _node.CommitOwnBatchAsync(_buffer.AsMemory(0, _count), _term, _leadership, null).AsTask().GetAwaiter().GetResult();
            }
        }
        catch (Exception e) when (e is NotLeaderException || (e is OperationCanceledException && _leadership.IsCancellationRequested))
        {
            throw new LeadershipLostException(
                $"Node {_node.Options.NodeId} is no longer the leader: commands after sequence {CommittedSequence} were not acknowledged " +
                "(the next leader commits them or drops them).", e);
        }

        _count = 0;
        CommittedSequence = LastSequence;
        Entries++;
    }

    [DoesNotReturn]
    private static void ThrowNotIncreasing(long sequence, long last) =>
        throw new ArgumentOutOfRangeException(nameof(sequence), sequence, $"Journal sequences must increase: {sequence} does not follow {last}.");
}
