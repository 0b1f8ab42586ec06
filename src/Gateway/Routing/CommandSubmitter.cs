using System.Diagnostics;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Gateway.Diagnostics;
using Exchange.Gateway.Protocol;
using Exchange.Gateway.Publishing;
using Exchange.Gateway.Streams;

namespace Exchange.Gateway.Routing;

/// <summary>
/// Publishes what the sessions checked, and what they refused. Every tokened message goes to the exchange: the core
/// holds the token state and decides (docs/protocol.md section 7), so nothing here classifies tokens. A message the
/// gateway refuses (the rate limit, a full input queue, MALFORMED, NOT_AUTHORIZED) goes to the exchange too, as a
/// <see cref="CommandType.GatewayReject"/> command that the core answers with its J, so that every message of a
/// user's stream is a function of the journal (section 8); a refusal may use the input ring's reserve, which nothing
/// else may. Runs on session threads; a user's messages are published under its stream gate, so that two connections
/// of one user publish one at a time. Each method returns the sequence of the command published (the message's, or its
/// reject's), 0 when the exchange could take neither: the session then retries the reject until it is taken, reading
/// nothing more from that connection meanwhile. <see cref="Submit"/> and <see cref="Reject"/> may leave the command
/// for <see cref="RunPublished"/> to run (the pipeline's inline runs): their caller calls it after, holding no gate.
/// </summary>
internal sealed class CommandSubmitter(PendingTable pending, ICommandPublisher publisher, Metrics.GatewayRejects? rejects = null)
{
    /// <summary>A checked message (an account query too: answered after this user's earlier messages, outside the token
    /// rules). A saturated exchange answers it RATE_LIMITED: the core never saw the token, so the client may resend it.</summary>
    public long Submit(UserStream stream, in InboundMessage m, in Command command)
    {
        lock (stream.Gate)
        {
            var sequence = TryPublish(stream, in m, in command, book: null, reserve: false, deferred: true);
            return sequence != 0 ? sequence : PublishReject(stream, in m, command.Origin, command.Timestamp, RejectCode.RateLimited);
        }
    }

    /// <summary>A message the session refused with <paramref name="code"/>: journaled as a gateway reject, answered by the
    /// core in sequence (after the user's earlier messages). Consumes no token.</summary>
    public long Reject(UserStream stream, uint origin, in InboundMessage m, long timestamp, RejectCode code)
    {
        lock (stream.Gate) return PublishReject(stream, in m, origin, timestamp, code);
    }

    /// <summary>A market-data late joiner's book query; false when the exchange is saturated.</summary>
    public bool SubmitBookQuery(MarketData.BookRequest request)
    {
        var command = Command.BookQuery();
        return TryPublish(null, default, in command, request, reserve: false, deferred: false) != 0;
    }

    /// <summary>Runs what <see cref="Submit"/> and <see cref="Reject"/> published on the calling thread, unless another
    /// thread is running the exchange (it then takes it). Call it holding no stream gate.</summary>
    public void RunPublished() => publisher.RunPublished();

    private long PublishReject(UserStream stream, in InboundMessage m, uint origin, long timestamp, RejectCode code)
    {
        var command = Command.GatewayRejected(m.Type, code, m.Account, m.Instrument, m.OrderId);
        command.Origin = origin;
        command.Token = m.Token;
        command.Timestamp = timestamp;
        var sequence = TryPublish(stream, in m, in command, book: null, reserve: true, deferred: true);
        // Counted once, when taken (a saturated exchange makes the session retry it).
        if (sequence != 0) rejects?.Count(code);
        return sequence;
    }

    private long TryPublish(UserStream? stream, in InboundMessage m, in Command command, MarketData.BookRequest? book, bool reserve, bool deferred)
    {
        if (!pending.TryClaim(out var correlation)) return 0;
        ref var slot = ref pending[correlation];
        slot.Sender = stream;
        slot.Token = m.Token;
        slot.MessageType = m.Type;
        slot.Book = book;
        // The ingress time of the command's latency metric (and of the stage latencies when they are on).
        slot.PublishedAt = Stopwatch.GetTimestamp();
        StageLatency.Record(StageLatency.Published, StageLatency.ReadAt);
        if (deferred ? publisher.TryPublishDeferred(in command, correlation, reserve, out var sequence)
                : publisher.TryPublish(in command, correlation, reserve, out sequence)) return sequence;
        pending.Release(correlation);
        return 0;
    }
}
