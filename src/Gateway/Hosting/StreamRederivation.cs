using System.Diagnostics;
using Exchange.Client.Protocol;
using Exchange.Core.Commands;
using Exchange.Core.Journal;
using Exchange.Gateway.Routing;
using Exchange.Gateway.Streams;
using CoreExchange = Exchange.Core.Exchange;

namespace Exchange.Gateway.Hosting;

/// <summary>
/// At start, after a crash: writes the messages of the journaled commands whose output the dead process had not
/// written (docs/protocol.md section 8). The output runs after the journal's commit, so a kill -9 can leave commands
/// that are in the journal, and so in the recovered state, without their messages. Every message is a function of the
/// journaled commands (with their stamped timestamps) and the state before them, so they are produced again: the state
/// is recovered as of the streams' written-through mark (<see cref="StreamStore.WrittenThroughAtStart"/>, below which
/// every message was written), then each journaled command after it is applied and its events go through the same
/// <see cref="OutboundRouter"/> as live traffic, answered to the user of its token space with its token, a batch end
/// after every <see cref="BatchCommands"/>. Each stream skips the messages it already holds
/// (<see cref="MessageLog.BeginRederive"/>), so nothing is published twice, market data and drop copy included.
/// </summary>
internal static class StreamRederivation
{
    /// <summary>Commands routed between two batch ends (writes to the stream files).</summary>
    public const int BatchCommands = 256;

    /// <summary>
    /// Applies to <paramref name="exchange"/> (the state as of <paramref name="from"/> − 1 or earlier: no journaled
    /// command in between) every command of the journal from <paramref name="from"/> on, routing each one's events.
    /// </summary>
    /// <param name="senders">Each user's stream by its token space (a trader's is its account id).</param>
    /// <param name="logs">Every stream the router writes to.</param>
    public static RederiveReport Run(CoreExchange exchange, string journalDirectory, long from, OutboundRouter router,
        IReadOnlyDictionary<uint, UserStream> senders, IReadOnlyList<MessageLog> logs)
    {
        var clock = Stopwatch.StartNew();
        foreach (var log in logs) log.BeginRederive(from);
        // A command of a user no longer configured: its own messages go nowhere (it has no stream), the others' are written.
        var nobody = new UserStream(MarketData.MarketDataUser.Instance, new MessageLog(new RetentionWindow(1024, 1 << 20, 0, 1 << 20)));
        long commands = 0;
        long first = 0, last = 0;
        using (var reader = new JournalReader(journalDirectory, from))
        {
            while (reader.Read(out var command) == JournalReadStatus.Record)
            {
                if (command.Sequence < from) continue;
                var events = exchange.Apply(in command);
                var sender = command.Origin != 0 && senders.TryGetValue(command.Origin, out var s) ? s : nobody;
                var messageType = command.Type == CommandType.GatewayReject ? command.RejectedMessageType : MessageTypeOf(command.Type);
                router.Rederive(sender, command.Token, messageType, command.Sequence, events);
                if (first == 0) first = command.Sequence;
                last = command.Sequence;
                if (++commands % BatchCommands == 0) router.OnEndOfBatch();
            }
        }
        router.OnEndOfBatch();
        var report = new RederiveReport { From = from, Commands = commands, FirstCommand = first, LastCommand = last };
        foreach (var log in logs)
        {
            log.EndRederive();
            var r = log.Rederived;
            report.Held += r.Held;
            report.Appended += r.Appended;
            report.PassedOver += r.PassedOver;
            report.Mismatched += r.Mismatched;
        }
        report.Elapsed = clock.Elapsed;
        return report;
    }

    /// <summary>The inbound message type letter that produces a command of <paramref name="type"/> (docs/protocol.md section 3).</summary>
    public static byte MessageTypeOf(CommandType type) => type switch
    {
        CommandType.NewOrder => Inbound.EnterOrder,
        CommandType.Amend => Inbound.ReplaceOrder,
        CommandType.Cancel => Inbound.CancelOrder,
        CommandType.CancelAll => Inbound.CancelAll,
        CommandType.Deposit => Inbound.Deposit,
        CommandType.Withdraw => Inbound.Withdraw,
        CommandType.DepositInsurance => Inbound.InsuranceDeposit,
        CommandType.SetMark => Inbound.SetMark,
        CommandType.Funding => Inbound.Funding,
        CommandType.ResumeTrading => Inbound.ResumeTrading,
        CommandType.QueryAccount => Inbound.AccountQuery,
        _ => 0,
    };
}

/// <summary>What one start's re-derivation did (<see cref="StreamRederivation"/>).</summary>
internal sealed class RederiveReport
{
    /// <summary>The first command sequence re-derived (the written-through mark + 1).</summary>
    public long From { get; init; }
    /// <summary>Journaled commands applied and routed again, and the first and last of them (0: none).</summary>
    public long Commands { get; init; }
    public long FirstCommand { get; init; }
    public long LastCommand { get; init; }
    /// <summary>Messages the streams already held (not appended again).</summary>
    public long Held { get; set; }
    /// <summary>Messages appended: those the crash had left unwritten.</summary>
    public long Appended { get; set; }
    /// <summary>Held messages of commands not routed again: account queries' answers in streams written by a version
    /// that did not journal queries (0 for streams written since).</summary>
    public long PassedOver { get; set; }
    /// <summary>Held messages that differ from their re-derivation (0 unless the output is not a function of the journal).</summary>
    public long Mismatched { get; set; }
    public TimeSpan Elapsed { get; set; }

    public override string ToString() =>
        $"{Commands} journaled commands after {From - 1} routed again in {Elapsed.TotalMilliseconds:F1} ms: " +
        $"{Appended} messages appended, {Held} already held, {PassedOver} unjournaled query answers passed over, {Mismatched} mismatched";
}
