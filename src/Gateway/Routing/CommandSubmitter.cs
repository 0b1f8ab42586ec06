using System.Diagnostics;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Gateway.Diagnostics;
using Exchange.Gateway.Protocol;
using Exchange.Gateway.Publishing;
using Exchange.Gateway.Streams;

namespace Exchange.Gateway.Routing;

/// <summary>
/// Publishes what the sessions checked. Every tokened message goes to the exchange: the core holds the token state and
/// decides (docs/protocol.md section 7), so nothing here classifies tokens. Runs on session threads; a user's
/// messages are published under its stream gate, so that two connections of one user publish one at a time.
/// </summary>
internal sealed class CommandSubmitter(PendingTable pending, ICommandPublisher publisher, Metrics.GatewayRejects? rejects = null)
{
    public void Submit(UserStream stream, in InboundMessage m, in Command command)
    {
        lock (stream.Gate)
        {
            // Published, nothing appended: no one to wake.
            if (TryPublish(stream, in m, in command, book: null)) return;
            // The exchange is saturated: never wait. The core never saw the token, so the client may resend it.
            rejects?.Count(RejectCode.RateLimited);
            stream.AppendRejected(command.Timestamp, m.Token, m.Type, (byte)RejectCode.RateLimited, m.Account, m.Instrument, m.OrderId);
            stream.NotifyReaders();
        }
    }

    /// <summary>
    /// An account query: published like a command (after this user's earlier ones, so the answer reflects them) but
    /// outside the token rules; a saturated exchange rejects it as rate limited.
    /// </summary>
    public void SubmitQuery(UserStream stream, in InboundMessage m, in Command command)
    {
        lock (stream.Gate)
        {
            if (!TryPublish(stream, in m, in command, book: null))
            {
                rejects?.Count(RejectCode.RateLimited);
                stream.AppendRejected(command.Timestamp, m.Token, m.Type, (byte)RejectCode.RateLimited, m.Account, m.Instrument, m.OrderId);
                stream.NotifyReaders();
            }
        }
    }

    /// <summary>A market-data late joiner's book query; false when the exchange is saturated.</summary>
    public bool SubmitBookQuery(MarketData.BookRequest request)
    {
        var command = Command.BookQuery();
        return TryPublish(null, default, in command, request);
    }

    private bool TryPublish(UserStream? stream, in InboundMessage m, in Command command, MarketData.BookRequest? book)
    {
        if (!pending.TryClaim(out var correlation)) return false;
        ref var slot = ref pending[correlation];
        slot.Sender = stream;
        slot.Token = m.Token;
        slot.MessageType = m.Type;
        slot.Book = book;
        // The ingress time of the command's latency metric (and of the stage latencies when they are on).
        slot.PublishedAt = Stopwatch.GetTimestamp();
        StageLatency.Record(StageLatency.Published, StageLatency.ReadAt);
        if (publisher.TryPublish(in command, correlation, out _)) return true;
        pending.Release(correlation);
        return false;
    }
}
