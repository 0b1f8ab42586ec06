namespace Exchange.Gateway.Streams;

/// <summary>
/// What each stream keeps for replay (configuration <c>streams</c>): at least its newest messages up to every bound,
/// rounded up to a 64 KiB segment in memory and to a file on disk; older messages are dropped from memory and their
/// files deleted. A login asking for a message before the window is refused (docs/protocol.md section 8).
/// </summary>
/// <param name="MaxMessages">Messages kept per stream.</param>
/// <param name="MaxBytes">Bytes kept per stream (messages plus a 14-byte header each).</param>
/// <param name="MaxAgeMs">Messages older than this may be dropped; 0 = no age bound.</param>
/// <param name="FileBytes">Size at which a stream's file is closed and the next begun (the unit deleted on disk).</param>
internal readonly record struct RetentionWindow(long MaxMessages, long MaxBytes, long MaxAgeMs, long FileBytes)
{
    /// <summary>Unbounded (tests of the log alone).</summary>
    public static RetentionWindow Unbounded => new(long.MaxValue, long.MaxValue, 0, 1L << 30);
}
