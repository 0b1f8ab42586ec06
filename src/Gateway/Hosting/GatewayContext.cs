using Exchange.Gateway.Configuration;
using Exchange.Gateway.Routing;
using Exchange.Gateway.Security;
using Exchange.Gateway.Sessions;
using Exchange.Gateway.Streams;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.ObjectPool;

namespace Exchange.Gateway.Hosting;

/// <summary>What every session shares: limits, users, streams, the router, the submitter, the registry and pools.</summary>
internal sealed class GatewayContext(
    GatewayLimits limits,
    Func<string> sessionId,
    UserDirectory users,
    IReadOnlyDictionary<User, UserStream> streams,
    OutboundRouter router,
    CommandSubmitter submitter,
    MarketData.OrderLog marketData,
    IReadOnlyDictionary<User, UserStream> dropCopy,
    ILogger log,
    Metrics.GatewayRejects rejects)
{
    /// <summary>Rejections the gateway answers before the exchange (counted for the metrics).</summary>
    public Metrics.GatewayRejects Rejects { get; } = rejects;

    public ILogger Log { get; } = log;
    public GatewayLimits Limits { get; } = limits;
    /// <summary>The SoupBinTCP session id (a cluster node learns its cluster's once, so it is read each time).</summary>
    public string SessionId => sessionId();
    public UserDirectory Users { get; } = users;
    public IReadOnlyDictionary<User, UserStream> Streams { get; } = streams;
    public OutboundRouter Router { get; } = router;
    public CommandSubmitter Submitter { get; } = submitter;
    /// <summary>The order log that market-data connections read (docs/protocol.md section 12).</summary>
    public MarketData.OrderLog MarketData { get; } = marketData;
    /// <summary>Each drop-copy reader's group stream (docs/protocol.md section 13).</summary>
    public IReadOnlyDictionary<User, UserStream> DropCopy { get; } = dropCopy;
    public LoginThrottle Throttle { get; } = new(limits.MaxFailedLogins, limits.FailedLoginWindowMs);
    public SessionRegistry Registry { get; } = new(limits.TimerResolutionMs);
    /// <summary>Per-address and not-yet-logged-in connection caps.</summary>
    public ConnectionAdmission Admission { get; } = new(limits);
    public ObjectPool<SessionBuffers> Buffers { get; } =
        new DefaultObjectPool<SessionBuffers>(new SessionBuffers.Policy(limits.MaxFrameLength), 256);

    /// <summary>Set at shutdown: new connections are closed at once.</summary>
    public volatile bool Stopping;
}
