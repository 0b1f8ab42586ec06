using Exchange.Core.Journal;
using Exchange.Core.Pipeline;

namespace Exchange.Gateway.Configuration;

/// <summary>How the exchange pipeline runs: ring size, wait strategy, fsync policy, snapshots.</summary>
public sealed record PipelineConfig
{
    /// <summary>Slots of the input and output rings (a power of two): commands in flight before RATE_LIMITED.</summary>
    public int RingSize { get; init; } = 16 * 1024;
    /// <summary><c>blocking</c> (no CPU when idle), <c>yielding</c> or <c>busy-spin</c> (a core per pipeline thread).</summary>
    public string WaitStrategy { get; init; } = "blocking";
    /// <summary>
    /// <c>parallel</c> (journaler ∥ business logic → output thread: LMAX's layout, for 4 or more dedicated cores),
    /// <c>single</c> (journal, apply and output on one thread: fewer hand-offs, for small machines) or <c>auto</c>
    /// (<see cref="PipelineTopologies.ForThisMachine"/>: single below 4 logical CPUs, else parallel).
    /// </summary>
    public string Topology { get; init; } = "auto";
    /// <summary>
    /// With the single-thread topology: the connection's thread that decoded a batch of messages runs the pipeline itself
    /// (journal, apply, route, send) when no other thread is running it, instead of waking the pipeline thread
    /// (<see cref="PipelineOptions.InlineRuns"/>). Off by default: on the quiet 2-vCPU machine it lowered the p50 at
    /// 10k/s but raised it at 100k/s, where one socket thread then receives, runs and sends everything serially
    /// (docs/benchmarks.md, "Quiet-machine re-measurement after the session of 2026-12-07 12:49 UTC"). Never on a
    /// cluster's leader, whose commit waits for the other nodes.
    /// </summary>
    public bool InlineRuns { get; init; }
    /// <summary>
    /// With the single-thread topology and <c>blocking</c> waits (inline runs off): microseconds the pipeline thread keeps
    /// polling for work, yielding its CPU between polls, before it sleeps (<see cref="PipelineOptions.YieldBeforeSleep"/>).
    /// 0 sleeps right after the 10 µs spin. Under continuous traffic the thread then never sleeps between batches, so no
    /// batch waits for its wake-up; an idle server still sleeps after it. Default 0: on the quiet 2-vCPU machine a 200 µs
    /// yield raised the p50 at 10k/s over TCP (59-80 against 43-48 µs) for about five times the server's CPU per
    /// command there, and did not clearly lower it at 100k/s (docs/operations.md, "Threads and CPU"; docs/benchmarks.md,
    /// "The pipeline thread yields before it sleeps" and the quiet re-measurement after it).
    /// </summary>
    public int YieldMicros { get; init; }
    /// <summary>
    /// With the single-thread topology and <c>blocking</c> waits (inline runs off): microseconds the pipeline thread spins
    /// for work before it yields or sleeps (<see cref="PipelineOptions.SpinBeforeSleep"/>). Default 10: work arriving
    /// within it costs no wake-up. 0 sleeps at once: on the loaded 2-vCPU machine that halved the p50 at 10k/s over TCP
    /// (94-119 against 206-220 µs in three pairs) and left 100k/s unchanged within the noise (docs/operations.md,
    /// "Threads and CPU"; docs/benchmarks.md, "Where the server's CPU goes at 100k/s over TCP").
    /// </summary>
    public int SpinMicros { get; init; } = 10;
    /// <summary>
    /// CPUs to pin the pipeline's threads to: business logic (the single thread), output, journaler; empty = not
    /// pinned. Only for cores set aside for the exchange (isolcpus or a cpuset), usually with <c>busy-spin</c>; see
    /// docs/operations.md.
    /// </summary>
    public int[] PinCpus { get; init; } = [];
    /// <summary><c>batch</c> (fsync every commit), <c>interval</c> or <c>never</c> (page cache only).</summary>
    public string Fsync { get; init; } = "batch";
    public int FsyncIntervalMs { get; init; } = 10;
    /// <summary>A snapshot every this many commands into <c>JOURNAL/snapshots</c> (and one at a clean shutdown); 0 = none.</summary>
    public long SnapshotEveryCommands { get; init; } = 100_000;
    /// <summary>Size at which a journal file is closed and the next begun: the unit retention removes.</summary>
    public long JournalSegmentBytes { get; init; } = 64L * 1024 * 1024;
    /// <summary>Where journal files wholly covered by the oldest snapshot kept are moved; empty = they are deleted.</summary>
    public string JournalArchive { get; init; } = "";

    public void Validate()
    {
        if (RingSize < 2 || (RingSize & (RingSize - 1)) != 0) throw new InvalidDataException("pipeline.ringSize must be a power of two");
        if (WaitStrategy is not ("blocking" or "yielding" or "busy-spin"))
            throw new InvalidDataException("pipeline.waitStrategy must be blocking, yielding or busy-spin");
        if (Topology is not ("auto" or "parallel" or "single"))
            throw new InvalidDataException("pipeline.topology must be auto, parallel or single");
        if (Fsync is not ("batch" or "interval" or "never")) throw new InvalidDataException("pipeline.fsync must be batch, interval or never");
        if (YieldMicros is < 0 or > 1_000_000) throw new InvalidDataException("pipeline.yieldMicros must be in 0..1000000");
        if (SpinMicros is < 0 or > 1_000) throw new InvalidDataException("pipeline.spinMicros must be in 0..1000");
        if (FsyncIntervalMs <= 0 || SnapshotEveryCommands < 0) throw new InvalidDataException("pipeline: bad fsync interval or snapshot period");
        foreach (var cpu in PinCpus)
            if (cpu < 0 || cpu >= Environment.ProcessorCount)
                throw new InvalidDataException($"pipeline.pinCpus: {cpu} is not a CPU of this machine (0 to {Environment.ProcessorCount - 1})");
        if (JournalSegmentBytes < 4096) throw new InvalidDataException("pipeline.journalSegmentBytes must be at least 4096");
    }

    /// <summary>The pipeline's options; <paramref name="journal"/> empty turns journaling (and snapshots) off.</summary>
    public PipelineOptions ToOptions(string journal) => new()
    {
        Topology = Topology switch
        {
            "single" => PipelineTopology.SingleThread,
            "parallel" => PipelineTopology.Parallel,
            _ => PipelineTopologies.ForThisMachine(),
        },
        InlineRuns = InlineRuns,
        YieldBeforeSleep = TimeSpan.FromMicroseconds(YieldMicros),
        SpinBeforeSleep = TimeSpan.FromMicroseconds(SpinMicros),
        PinnedCpus = PinCpus,
        InputRingSize = RingSize,
        OutputRingSize = RingSize,
        WaitStrategy = WaitStrategy switch
        {
            "busy-spin" => WaitStrategyKind.BusySpin,
            "yielding" => WaitStrategyKind.Yielding,
            _ => WaitStrategyKind.Blocking,
        },
        Journal = journal.Length == 0 ? null : new JournalOptions
        {
            Directory = journal,
            Fsync = Fsync switch { "never" => FsyncPolicy.Never, "interval" => FsyncPolicy.IntervalMs, _ => FsyncPolicy.EveryBatch },
            FsyncIntervalMs = FsyncIntervalMs,
            MaxFileBytes = JournalSegmentBytes,
            ArchiveDirectory = JournalArchive.Length == 0 ? null : JournalArchive,
        },
        SnapshotDirectory = journal.Length == 0 || SnapshotEveryCommands == 0 ? null : Path.Combine(journal, "snapshots"),
        SnapshotEveryCommands = journal.Length == 0 ? 0 : SnapshotEveryCommands,
    };
}
