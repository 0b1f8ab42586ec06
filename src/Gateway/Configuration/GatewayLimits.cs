namespace Exchange.Gateway.Configuration;

/// <summary>Session limits and timeouts (docs/protocol.md section 9). Tests shorten the timeouts.</summary>
public sealed record GatewayLimits
{
    /// <summary>Largest inbound packet length field accepted (type byte + payload).</summary>
    public int MaxFrameLength { get; init; } = 256;
    public int LoginTimeoutMs { get; init; } = 5_000;
    /// <summary>No complete packet from the client for this long: the link is dead.</summary>
    public int IdleTimeoutMs { get; init; } = 15_000;
    /// <summary>The server sends a heartbeat after this long without sending anything.</summary>
    public int HeartbeatIntervalMs { get; init; } = 1_000;
    /// <summary>Token bucket per connection: every unsequenced message costs one token.</summary>
    public int RatePerSecond { get; init; } = 500;
    public int RateBurst { get; init; } = 200;
    /// <summary>RATE_LIMITED answers without an accepted message in between before the connection is closed.</summary>
    public int FloodRejects { get; init; } = 200;
    /// <summary>RATE_LIMITED answers a connection may get per second (and at once): each is a journal record, so a
    /// connection that keeps sending over its limit past this is closed instead.</summary>
    public int MaxRateLimitedPerSecond { get; init; } = 100;
    /// <summary>Failed logins of one user from one address within <see cref="FailedLoginWindowMs"/> before that pair is
    /// refused without a password check until the window passes.</summary>
    public int MaxFailedLogins { get; init; } = 5;
    public int FailedLoginWindowMs { get; init; } = 60_000;
    /// <summary>Password checks that may wait for a core (beyond one running per core); more logins are refused as busy
    /// without hashing.</summary>
    public int MaxPendingPasswordChecks { get; init; } = 32;
    /// <summary>Live messages a connection may have waiting beyond the transport's buffer before it is dropped.</summary>
    public int MaxQueuedMessages { get; init; } = 10_000;
    public int MaxConnections { get; init; } = 1_024;
    /// <summary>Open connections from one remote address, logged in or not.</summary>
    public int MaxConnectionsPerAddress { get; init; } = 128;
    /// <summary>Connections not yet logged in, across all addresses: the rest of <see cref="MaxConnections"/> stays for
    /// logged-in sessions.</summary>
    public int MaxUnauthenticatedConnections { get; init; } = 256;
    /// <summary>Connections not yet logged in from one remote address.</summary>
    public int MaxUnauthenticatedPerAddress { get; init; } = 16;
    public int MaxSessionsPerUser { get; init; } = 4;
    /// <summary>Kestrel's per-connection output pipe bound (its MaxWriteBufferSize).</summary>
    public int TransportBufferBytes { get; init; } = 64 * 1024;
    /// <summary>SO_SNDBUF of accepted sockets (Linux doubles it); 0 = the OS default, which autotunes up to 4 MiB and
    /// would hide tens of thousands of messages from <see cref="MaxQueuedMessages"/>.</summary>
    public int SocketSendBufferBytes { get; init; } = 64 * 1024;
    /// <summary>Commands published and not yet reported by the exchange, across all sessions.</summary>
    public int MaxInFlight { get; init; } = 16_384;
    /// <summary>How often timers (login, idle, heartbeat) are checked.</summary>
    public int TimerResolutionMs { get; init; } = 100;

    public void Validate()
    {
        if (MaxFrameLength is < 64 or > 65_535) Fail("maxFrameLength must be in 64..65535");
        if (LoginTimeoutMs <= 0 || IdleTimeoutMs <= 0 || HeartbeatIntervalMs <= 0 || TimerResolutionMs <= 0)
            Fail("timeouts must be positive");
        if (RatePerSecond <= 0 || RateBurst <= 0 || FloodRejects <= 0 || MaxRateLimitedPerSecond <= 0) Fail("rate limits must be positive");
        if (MaxFailedLogins <= 0 || FailedLoginWindowMs <= 0 || MaxPendingPasswordChecks < 0) Fail("failed-login limits must be positive");
        if (MaxConnectionsPerAddress <= 0 || MaxUnauthenticatedConnections <= 0 || MaxUnauthenticatedPerAddress <= 0)
            Fail("connection caps must be positive");
        if (MaxQueuedMessages <= 0 || MaxConnections <= 0 || MaxSessionsPerUser <= 0 || MaxInFlight <= 0)
            Fail("capacities must be positive");
        if (TransportBufferBytes < 1024) Fail("transportBufferBytes must be at least 1024");
        if (SocketSendBufferBytes < 0) Fail("socketSendBufferBytes must not be negative");
    }

    private static void Fail(string message) => throw new InvalidDataException("limits: " + message);
}
