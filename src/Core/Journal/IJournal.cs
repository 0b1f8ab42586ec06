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
}
