using Exchange.Client.Protocol;
using Exchange.Core.Events;
using Exchange.Gateway.Streams;

namespace Exchange.Gateway.Routing;

/// <summary>
/// The client order tokens' side of the output (the core deduplicates, docs/protocol.md section 7): records which
/// message of its sender's log is each command's outcome, and answers a <see cref="EventType.Duplicate"/> with that
/// message again, byte for byte, or, when the log no longer holds it, a J with the original reject code (STALE_TOKEN
/// when it executed). Output thread only. Lock contract: every method runs with the sender's
/// <see cref="UserStream.Gate"/> held by the caller, and takes no lock of its own.
/// </summary>
internal sealed class TokenOutcomes
{
    /// <summary>Message <paramref name="message"/> of <paramref name="sender"/>'s log is the outcome of command
    /// <paramref name="commandSequence"/>: a duplicate of its token finds it by that sequence.</summary>
    public void Record(UserStream sender, long commandSequence, long message) => sender.Log.MarkOutcome(commandSequence, message);

    /// <summary>Answers a duplicate (nothing executed, no other event follows); returns the message appended.</summary>
    public long AnswerDuplicate(UserStream sender, in Event e, long timestamp, uint token, byte messageType, int instrument)
    {
        var original = sender.Log.FindOutcome(e.OriginalSequence);
        // A copy is 0 when the window dropped the original between the look-up and the append.
        var copy = original > 0 ? sender.AppendCopy(original) : 0;
        if (copy > 0) return copy;
        var code = e.OriginalOutcome != RejectCode.None ? e.OriginalOutcome : RejectCode.StaleToken;
        return sender.AppendRejected(timestamp, token, messageType, (byte)code, (uint)e.AccountId, instrument, e.OrderId);
    }
}
