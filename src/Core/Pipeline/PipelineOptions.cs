using System.Numerics;
using Exchange.Core.Journal;

namespace Exchange.Core.Pipeline;

/// <summary>How an <see cref="ExchangePipeline"/> is sized, waits and persists.</summary>
public sealed record PipelineOptions
{
    /// <summary>Command slots in the input ring, a power of two: how many commands may be in flight before
    /// <see cref="ExchangePipeline.TryPublish(in Commands.Command, long, out long)"/> reports backpressure.</summary>
    public int InputRingSize { get; init; } = 16 * 1024;

    /// <summary>Slots in the output ring, a power of two; each holds up to eight events (about 0.9 KB).</summary>
    public int OutputRingSize { get; init; } = 16 * 1024;

    /// <summary>Whether several threads publish (the gateway's I/O threads) or exactly one.</summary>
    public ProducerType ProducerType { get; init; } = ProducerType.Multi;

    /// <summary>How the pipeline's threads wait. Yielding suits as many busy threads as cores; busy-spin needs a core
    /// per pipeline thread (three, four with journaling, plus the producers).</summary>
    public WaitStrategyKind WaitStrategy { get; init; } = WaitStrategyKind.Yielding;

    /// <summary>Which threads run the stages: <see cref="PipelineTopology.Parallel"/> (LMAX's layout, the default) or
    /// <see cref="PipelineTopology.SingleThread"/> (for machines with fewer cores than busy threads).</summary>
    public PipelineTopology Topology { get; init; } = PipelineTopology.Parallel;

    /// <summary>
    /// With <see cref="PipelineTopology.SingleThread"/>: whether a producer that publishes with
    /// <see cref="ExchangePipeline.TryPublishDeferred"/> then runs the pipeline itself on its own thread
    /// (<see cref="ExchangePipeline.RunPublished"/>) when no other thread is running it, rather than waking the pipeline
    /// thread: no hand-off between the thread that decoded a command and the one that applies it. One thread runs the
    /// stages at a time, in sequence order, as before; the pipeline thread still runs what other producers publish.
    /// Off by default; ignored by <see cref="PipelineTopology.Parallel"/>. Only for a journal whose commit does not wait
    /// on other machines (not a cluster's Raft log): the producer's thread waits for it.
    /// </summary>
    public bool InlineRuns { get; init; }

    /// <summary>
    /// With <see cref="PipelineTopology.SingleThread"/> and <see cref="WaitStrategyKind.Blocking"/>: how long the
    /// pipeline thread, finding no work after its short spin, keeps polling the input ring with
    /// <see cref="Thread.Yield"/> between polls before it sleeps (<see cref="BlockingWaitStrategy(TimeSpan, TimeSpan)"/>).
    /// Zero (the default) sleeps at once after the spin. Under continuous traffic a yield phase longer than the gaps
    /// between batches keeps the thread awake, so no batch costs a wake-up; an idle pipeline still sleeps after it.
    /// Ignored with inline runs (the producers then run the stages) and by the other topologies and strategies.
    /// </summary>
    public TimeSpan YieldBeforeSleep { get; init; }

    /// <summary>
    /// With <see cref="PipelineTopology.SingleThread"/> and <see cref="WaitStrategyKind.Blocking"/> (inline runs off):
    /// how long the pipeline thread spins, finding no work, before it yields or sleeps
    /// (<see cref="BlockingWaitStrategy(TimeSpan, TimeSpan)"/>). 10 µs by default: work arriving within it costs no
    /// futex wake-up. Zero sleeps at once, which leaves the CPU to other threads on a machine where every CPU is
    /// shared (docs/benchmarks.md, "Where the server's CPU goes at 100k/s over TCP"). Ignored with inline runs (no
    /// spin then) and by the other topologies and strategies.
    /// </summary>
    public TimeSpan SpinBeforeSleep { get; init; } = TimeSpan.FromMicroseconds(10);

    /// <summary>
    /// CPUs to pin the pipeline's threads to, in this order: the business-logic thread (the one thread of
    /// <see cref="PipelineTopology.SingleThread"/>), the output thread, the journaler; threads beyond the list are not
    /// pinned. Empty (the default): the OS places them. For machines with cores set aside for the pipeline (isolcpus
    /// or a cpuset, with <see cref="WaitStrategyKind.BusySpin"/>): a pinned spinning thread keeps its core and caches.
    /// On a shared machine leave it empty: a pinned thread cannot move off a core another process is using.
    /// </summary>
    public IReadOnlyList<int> PinnedCpus { get; init; } = [];

    /// <summary>The input journal, as files (<see cref="JournalWriter"/>); null with <see cref="JournalInstance"/> null
    /// turns journaling off (then nothing is durable and no output waits for it).</summary>
    public JournalOptions? Journal { get; init; }

    /// <summary>
    /// A journal to use instead of opening files per <see cref="Journal"/> (a <see cref="MemoryJournal"/> in tests, a
    /// Raft log of a cluster): the pipeline's journal stage calls it and waits on its commits, but the caller owns it and
    /// disposes it after the pipeline. At most one of the two is set.
    /// </summary>
    public IJournal? JournalInstance { get; init; }

    /// <summary>
    /// The journal files that retention trims after each snapshot (<see cref="JournalRetention"/>): by default
    /// <see cref="Journal"/>; set it when a <see cref="JournalInstance"/> writes files of its own (a wrapped
    /// <see cref="JournalWriter"/>). Null with both null: nothing is trimmed.
    /// </summary>
    public JournalOptions? RetainedJournal { get; init; }

    internal JournalOptions? Retention => RetainedJournal ?? Journal;

    /// <summary>Where snapshots go (<c>snapshot-&lt;seq&gt;.bin</c>); needed when <see cref="SnapshotEveryCommands"/> is set.</summary>
    public string? SnapshotDirectory { get; init; }

    /// <summary>A snapshot is taken after each command whose sequence is a multiple of this; 0 = never.</summary>
    public long SnapshotEveryCommands { get; init; }

    /// <summary>Whether <see cref="ExchangePipeline.Dispose"/> snapshots the final state (when snapshots are on), so
    /// the next start replays nothing. On by default.</summary>
    public bool SnapshotOnStop { get; init; } = true;

    /// <summary>How many snapshots are kept (the newest ones); older ones are deleted after each new one.</summary>
    public int SnapshotsToKeep { get; init; } = 2;

    /// <summary>
    /// A sequence whose state recovery must still be able to rebuild (null: none), read after each snapshot: besides the
    /// newest <see cref="SnapshotsToKeep"/>, the newest snapshot at or below it is kept, and the journal after that one
    /// (all of it while there is none). The gateway passes its streams' written-through mark, since a restart rebuilds
    /// the state there and re-derives the messages of the commands after it (docs/protocol.md section 8).
    /// </summary>
    public Func<long>? RetentionFloor { get; init; }

    /// <summary>The clock for the commands' <see cref="Commands.Command.Timestamp"/> (ns since the Unix epoch), for those
    /// the producer did not stamp.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal bool Snapshots => SnapshotEveryCommands > 0;

    /// <summary>The CPU for the pipeline's <paramref name="thread"/>-th thread (see <see cref="PinnedCpus"/>), or -1.</summary>
    internal int PinnedCpu(int thread) => thread < PinnedCpus.Count ? PinnedCpus[thread] : -1;

    internal void Validate()
    {
        if (InputRingSize < 1 || !BitOperations.IsPow2(InputRingSize))
            throw new ArgumentOutOfRangeException(nameof(InputRingSize), InputRingSize, "Must be a positive power of two.");
        if (OutputRingSize < 1 || !BitOperations.IsPow2(OutputRingSize))
            throw new ArgumentOutOfRangeException(nameof(OutputRingSize), OutputRingSize, "Must be a positive power of two.");
        if (!Enum.IsDefined(WaitStrategy))
            throw new ArgumentOutOfRangeException(nameof(WaitStrategy), WaitStrategy, null);
        if (!Enum.IsDefined(Topology))
            throw new ArgumentOutOfRangeException(nameof(Topology), Topology, null);
        if (!Enum.IsDefined(ProducerType))
            throw new ArgumentOutOfRangeException(nameof(ProducerType), ProducerType, null);
        ArgumentNullException.ThrowIfNull(PinnedCpus);
        foreach (var cpu in PinnedCpus)
            if (cpu < 0 || cpu >= Environment.ProcessorCount)
                throw new ArgumentOutOfRangeException(nameof(PinnedCpus), cpu, $"Must be a CPU of this machine (0 to {Environment.ProcessorCount - 1}).");
        ArgumentOutOfRangeException.ThrowIfNegative(SnapshotEveryCommands);
        ArgumentOutOfRangeException.ThrowIfNegative(YieldBeforeSleep.Ticks, nameof(YieldBeforeSleep));
        ArgumentOutOfRangeException.ThrowIfNegative(SpinBeforeSleep.Ticks, nameof(SpinBeforeSleep));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(SnapshotsToKeep);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        if (Journal is not null && JournalInstance is not null)
            throw new ArgumentException("Set Journal (files) or JournalInstance, not both.", nameof(JournalInstance));
        if (Snapshots && string.IsNullOrEmpty(SnapshotDirectory))
            throw new ArgumentException("SnapshotEveryCommands is set but SnapshotDirectory is not.", nameof(SnapshotDirectory));
    }
}
