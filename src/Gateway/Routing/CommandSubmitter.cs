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
internal sealed class CommandSubmitter(PendingTable pending, ICommandPublisher publisher)
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
                    var reject = stream.AppendRejected(command.Timestamp, m.Token, m.Type, (byte)RejectCode.DuplicateClientOrderId,
                        m.Account, m.Instrument, m.OrderId);
                    stream.RecordOutcome(m.Token, reject);
                    break;
            }
            stream.NotifyReaders();
        }
    }

    /// <returns>True when published; false when rejected as rate limited (a message was appended).</returns>
    private bool Publish(UserStream stream, in InboundMessage m, in Command command)
    {
        if (pending.TryClaim(out var correlation))
        {
            ref var slot = ref pending[correlation];
            slot.Command = command;
            slot.Sender = stream;
            slot.Token = m.Token;
            slot.MessageType = m.Type;
            // The ingress time of the command's latency metric (and of the stage latencies when they are on).
            slot.PublishedAt = Stopwatch.GetTimestamp();
            StageLatency.Record(StageLatency.Published, StageLatency.ReadAt);
            if (publisher.TryPublish(in command, correlation, out _))
            {
                stream.Begin(m.Token);
                return true;
            }
            pending.Release(correlation);
        }
        // The exchange is saturated: never wait. The token is not consumed, so the client may resend it.
        stream.AppendRejected(command.Timestamp, m.Token, m.Type, (byte)RejectCode.RateLimited, m.Account, m.Instrument, m.OrderId);
        return false;
    }
}
