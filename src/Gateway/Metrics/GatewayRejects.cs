using Exchange.Core.Events;

namespace Exchange.Gateway.Metrics;

/// <summary>
/// Rejections the gateway answers itself, before the exchange (docs/protocol.md section 5): the rate limit and a full
/// ring (RATE_LIMITED), a message that does not decode or is out of range (MALFORMED), a role that may not send it
/// (NOT_AUTHORIZED). The token rules are the core's (its rejects are counted as the exchange's). Counted on the session threads that answer them:
/// one interlocked increment on the rejecting path only; read by the metrics thread
/// (<c>exchange_rejects_total{source="gateway"}</c>).
/// </summary>
internal sealed class GatewayRejects
{
    private readonly long[] _counts = new long[MeteredOutput.RejectCodes];

    public void Count(RejectCode code) => Interlocked.Increment(ref _counts[(int)code & (MeteredOutput.RejectCodes - 1)]);

    /// <summary>Rejections with this code the gateway answered since start-up.</summary>
    public long this[RejectCode code] => Volatile.Read(ref _counts[(int)code & (MeteredOutput.RejectCodes - 1)]);
}
