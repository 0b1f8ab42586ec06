namespace Exchange.Gateway.Configuration;

/// <summary>
/// The sequenced streams (each user's, market data's, each drop-copy group's): what is kept for replay, in memory and,
/// with a journal, on disk under <c>JOURNAL/streams</c> (docs/protocol.md section 8, docs/operations.md).
/// </summary>
public sealed record StreamsConfig
{
    /// <summary>Messages kept per stream for replay (at least this many, up to the other bounds).</summary>
    public long RetainMessages { get; init; } = 1_000_000;

    /// <summary>Bytes kept per stream (each message plus a 14-byte header): the memory and disk bound of one stream.</summary>
    public long RetainBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Messages older than this may be dropped; 0 = no age bound.</summary>
    public long RetainSeconds { get; init; } = 7 * 24 * 3600;

    /// <summary>Size at which a stream's file is closed and the next begun: the unit retention deletes.</summary>
    public long FileBytes { get; init; } = 4L * 1024 * 1024;

    public void Validate()
    {
        // Below limits.maxQueuedMessages a reader that keeps within its queue bound can still fall out of the window
        // (and is then closed): allowed, but the default keeps the window far above the default queue bound.
        if (RetainMessages < 1_000) throw new InvalidDataException("streams.retainMessages must be at least 1000");
        if (RetainBytes < 1L << 20) throw new InvalidDataException("streams.retainBytes must be at least 1048576");
        if (RetainSeconds < 0) throw new InvalidDataException("streams.retainSeconds must be 0 (no age bound) or positive");
        if (FileBytes < 64 * 1024 || FileBytes > 1L << 32) throw new InvalidDataException("streams.fileBytes must be in 65536..4294967296");
    }

    internal Streams.RetentionWindow ToWindow() => new(RetainMessages, RetainBytes, RetainSeconds * 1000, FileBytes);
}
