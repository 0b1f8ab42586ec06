namespace Exchange.Gateway.Sessions;

/// <summary>The gateway's two clocks: a monotonic one for timeouts and the wall clock for message timestamps.</summary>
internal static class GatewayClock
{
    private static readonly long EpochTicks = DateTime.UnixEpoch.Ticks;

    /// <summary>Monotonic milliseconds, for timers.</summary>
    public static long NowMs => Environment.TickCount64;

    /// <summary>Nanoseconds since the Unix epoch (UTC), for timestamps (100 ns resolution).</summary>
    public static long UnixNanos => (DateTime.UtcNow.Ticks - EpochTicks) * 100;
}
