using Exchange.Core.Commands;

namespace Exchange.Core.Journal;

/// <summary>
/// Where the pipeline makes commands durable before any of their output is released: the seam between the
/// pipeline's journal stage and the medium (files on this machine, <see cref="JournalWriter"/>; memory in tests,
/// <see cref="MemoryJournal"/>; the Raft log of a cluster, RaftJournal). The journal stage owns it: every call comes from that one
/// thread, in command-sequence order.
/// </summary>
/// <remarks>
/// Group commit: <see cref="Append"/> the commands of one ring batch, then <see cref="Commit"/> once. When Commit
/// returns, every appended command is as durable as the implementation promises (the pipeline then lets their
/// output go), so Commit is where a slow medium makes the pipeline wait.
/// </remarks>
public interface IJournal : IDisposable
{
    /// <summary>The sequence of the last appended command; -1 for an empty journal.</summary>
    long LastSequence { get; }

    /// <summary>Appends <paramref name="command"/>; its <see cref="Command.Sequence"/> must exceed <see cref="LastSequence"/>.</summary>
    void Append(in Command command);

    /// <summary>Ends a batch: everything appended is durable (per the implementation) when it returns.</summary>
    void Commit();

    /// <summary>
    /// Called by the single-thread pipeline (<see cref="Pipeline.PipelineTopology.SingleThread"/>) on its thread once it
    /// has applied every command of the batch it last committed, before it takes the next: the exchange is then the
    /// state after that commit. A cluster leader's journal snapshots there (docs/cluster.md). Nothing by default.
    /// </summary>
    void BatchApplied()
    {
    }

    /// <summary>
    /// How many batches' commits the single-thread pipeline may have in flight at once (overlapping commits); 1, the
    /// default, keeps the plain group commit: <see cref="Commit"/> waits, and none of the members below is called. A
    /// journal whose commit is a round trip (the Raft log of a cluster) answers more: the pipeline then
    /// <see cref="BeginCommit"/>s a batch while earlier ones are still committing, and applies and acknowledges each batch,
    /// in order, once <see cref="TryEndCommit"/> says its commit is done.
    /// </summary>
    int MaxCommitsInFlight => 1;

    /// <summary>
    /// Overlapping commits: starts making everything appended since the last commit durable and returns without waiting.
    /// The pipeline begins no more than <see cref="MaxCommitsInFlight"/> commits that <see cref="TryEndCommit"/> has not
    /// ended. Throws as <see cref="Commit"/> does.
    /// </summary>
    void BeginCommit() => Commit();

    /// <summary>
    /// Overlapping commits: whether the oldest commit begun and not yet ended is done (its commands as durable as
    /// <see cref="Commit"/> makes them); if so it is ended, and <see cref="BatchApplied"/> next refers to its batch. Does
    /// not wait. Throws what the commit failed with (the pipeline stops: nothing of that batch or a later one is
    /// acknowledged).
    /// </summary>
    bool TryEndCommit() => true;

    /// <summary>
    /// Overlapping commits: the pipeline's wake-up. The journal calls <paramref name="signal"/> (from any thread) after
    /// anything that may end a commit in flight or make it fail, so a pipeline waiting for either its next input or a
    /// commit wakes to look. Called once, before the first <see cref="BeginCommit"/>.
    /// </summary>
    void OnCommitProgress(Action signal)
    {
    }
}
