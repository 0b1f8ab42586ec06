using System.Diagnostics;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Gateway.Diagnostics;
using Exchange.Gateway.Protocol;
using Exchange.Gateway.Publishing;
using Exchange.Gateway.Streams;

namespace Exchange.Gateway.Routing;

/// <summary>
/// Applies the token rules (docs/protocol.md section 7) and publishes. Runs on session threads, under the user's
/// stream gate, so that one user's commands are published in token order and a token is published at most once.
/// </summary>
internal sealed class CommandSubmitter(PendingTable pending, ICommandPublisher publisher, Metrics.GatewayRejects? rejects = null)
{
    public void Submit(UserStream stream, in InboundMessage m, in Command command)
    {
        lock (stream.Gate)
        {
            switch (stream.Classify(m.Token, out var outcome))
            {
                case TokenState.New:
                    // Published, nothing appended: no one to wake (unless the exchange was saturated).
                    if (Publish(stream, in m, in command)) return;
                    break;
                case TokenState.Known:
                    stream.AppendCopy(outcome);
                    break;
                case TokenState.InFlight:
                    stream.AddWaiter(m.Token);
                    break;
                default:
                    rejects?.Count(RejectCode.DuplicateClientOrderId);
                    var reject = stream.AppendRejected(command.Timestamp, m.Token, m.Type, (byte)RejectCode.DuplicateClientOrderId,
                        m.Account, m.Instrument, m.OrderId);
                    stream.RecordOutcome(m.Token, reject);
                    break;
            }
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

    /// <returns>True when published; false when rejected as rate limited (a message was appended).</returns>
    private bool Publish(UserStream stream, in InboundMessage m, in Command command)
    {
        if (TryPublish(stream, in m, in command, book: null))
        {
            stream.Begin(m.Token);
            return true;
        }
        // The exchange is saturated: never wait. The token is not consumed, so the client may resend it.
        rejects?.Count(RejectCode.RateLimited);
        stream.AppendRejected(command.Timestamp, m.Token, m.Type, (byte)RejectCode.RateLimited, m.Account, m.Instrument, m.OrderId);
        return false;
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
