namespace Exchange.Core.Journal;

/// <summary>What <see cref="Recovery"/> rebuilt and from what.</summary>
public sealed class RecoveryResult
{
    internal RecoveryResult(
        Exchange exchange, SnapshotFile? snapshot, IReadOnlyList<string> skippedSnapshots, long replayedCommands,
        JournalTornTail? tornTail)
    {
        Exchange = exchange;
        Snapshot = snapshot;
        SkippedSnapshots = skippedSnapshots;
        ReplayedCommands = replayedCommands;
        TornTail = tornTail;
    }

    /// <summary>The recovered state machine, ready to hand to a new pipeline.</summary>
    public Exchange Exchange { get; }

    /// <summary>The sequence of the last command in the recovered state (0 when there was nothing): the pipeline
    /// numbers the next command one higher.</summary>
    public long LastSequence => Exchange.LastSequence;

    /// <summary>The snapshot the state was loaded from; null when it was rebuilt from the journal alone.</summary>
    public SnapshotFile? Snapshot { get; }

    /// <summary>Newer snapshots that were damaged and skipped, each as "path: reason".</summary>
    public IReadOnlyList<string> SkippedSnapshots { get; }

    /// <summary>How many journal commands were applied after the snapshot.</summary>
    public long ReplayedCommands { get; }

    /// <summary>A partly written last record (a crash mid-write) that was not applied; the journal writer cuts it
    /// off when it next opens the journal.</summary>
    public JournalTornTail? TornTail { get; }
}
