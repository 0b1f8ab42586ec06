namespace Exchange.Core.Journal;

/// <summary>Where and how the input journal is written.</summary>
public sealed record JournalOptions
{
    /// <summary>The directory holding the journal files; created if missing.</summary>
    public required string Directory { get; init; }

    /// <summary>A file is closed and a new one started when the next record would take it past this size.</summary>
    public long MaxFileBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>
    /// Where journal files wholly covered by the oldest snapshot kept go (<see cref="JournalRetention"/>); null or empty
    /// deletes them. Only with snapshots on: without a snapshot the whole journal is the state.
    /// </summary>
    public string? ArchiveDirectory { get; init; }

    /// <summary>When commits fsync.</summary>
    public FsyncPolicy Fsync { get; init; } = FsyncPolicy.EveryBatch;

    /// <summary>The fsync interval for <see cref="FsyncPolicy.IntervalMs"/>; an idle journal's last batch is fsynced once
    /// no commit has come for this long.</summary>
    public int FsyncIntervalMs { get; init; } = 10;

    /// <summary>
    /// The write buffer, allocated once: a batch that fits is one write call. A larger batch is written in
    /// several calls (still one fsync).
    /// </summary>
    public int BufferBytes { get; init; } = 64 * 1024;

    /// <summary>The clock for <see cref="FsyncPolicy.IntervalMs"/> (the journal is I/O, not the deterministic core).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
