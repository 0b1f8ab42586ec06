namespace Exchange.Core.Journal;

/// <summary>When <see cref="JournalWriter.Commit"/> forces the journal to stable storage (fsync).</summary>
public enum FsyncPolicy
{
    /// <summary>Every commit: a committed batch survives power loss; costs one fsync per batch.</summary>
    EveryBatch = 0,
    /// <summary>
    /// At a commit once <see cref="JournalOptions.FsyncIntervalMs"/> has passed since the last fsync: bounds the
    /// loss window on power failure to about that interval (plus idle time, unless the owner calls
    /// <see cref="JournalWriter.Sync"/> when idle).
    /// </summary>
    IntervalMs = 1,
    /// <summary>
    /// Never (except on rotation and dispose): commits reach the OS page cache, surviving a process crash but not
    /// power loss. For benchmarks, tests and clustered deployments where other nodes provides durability.
    /// </summary>
    Never = 2,
}
