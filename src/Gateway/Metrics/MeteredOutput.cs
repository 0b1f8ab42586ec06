using System.Diagnostics;
using Exchange.Client.Protocol;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Pipeline;
using Exchange.Gateway.Routing;

namespace Exchange.Gateway.Metrics;

/// <summary>
/// Wraps the gateway's output handler and measures what passes through it, from the events alone: commands by type,
/// rejections by code, the exchange's health (<see cref="ExchangeHealth"/>) and each command's ingress-to-acknowledgement
/// latency. Runs on the output thread: plain single-writer stores and one clock read per command, no lock and no
/// allocation (tests/Exchange.Gateway.Tests/Metrics). Readers (the metrics thread) load the counters whole.
/// </summary>
internal sealed class MeteredOutput : IOutputHandler
{
    /// <summary>Label slots: every <see cref="CommandType"/> and <see cref="RejectCode"/> value fits (checked in tests).</summary>
    public const int CommandTypes = 16, RejectCodes = 64;

    /// <summary>The command type of each inbound message type letter (docs/protocol.md section 5); None for others.</summary>
    internal static readonly CommandType[] TypeOf = BuildTypeOf();

    private readonly IOutputHandler _inner;
    private readonly PendingTable _pending;
    private readonly long[] _commands = new long[CommandTypes];
    private readonly long[] _rejects = new long[RejectCodes];
    private long _reported;

    /// <param name="inner">The handler that routes the events to the users (called first).</param>
    /// <param name="pending">Where the submitter stamped each command's ingress time (<see cref="PendingCommand.PublishedAt"/>).</param>
    /// <param name="health">The health model to move; seeded by the caller.</param>
    /// <param name="latencySamples">Where each command's latency goes (ticks), for the metrics thread to drain.</param>
    public MeteredOutput(IOutputHandler inner, PendingTable pending, ExchangeHealth health, SampleRing latencySamples)
    {
        _inner = inner;
        _pending = pending;
        Health = health;
        Latency = latencySamples;
    }

    public ExchangeHealth Health { get; }

    /// <summary>Ingress-to-acknowledgement latencies in <see cref="Stopwatch"/> ticks, waiting to be drained.</summary>
    public SampleRing Latency { get; }

    /// <summary>The sequence of the last command reported to the users.</summary>
    public long Reported => Volatile.Read(ref _reported);

    /// <summary>Commands of a type the exchange has reported since start-up (rejected ones included), by the message
    /// the gateway published.</summary>
    public long Commands(CommandType type) => Volatile.Read(ref _commands[(int)type]);

    /// <summary>Commands the exchange rejected with a code since start-up.</summary>
    public long Rejects(RejectCode code) => Volatile.Read(ref _rejects[(int)code]);

    public void OnEvents(long commandSequence, long correlation, ReadOnlySpan<Event> events)
    {
        // Read before the router runs: it releases the pending slot when it is done.
        ref readonly var pending = ref _pending[correlation];
        var ingress = pending.PublishedAt;
        var messageType = pending.MessageType;
        // A query (an account's, or a late joiner's book) changes nothing: it is acknowledged, not counted as a command.
        // Nor is a gateway reject (counted where the session refused the message, as the gateway's).
        var query = messageType == Inbound.AccountQuery || pending.Book is not null || OutboundRouter.IsGatewayReject(events);
        _inner.OnEvents(commandSequence, correlation, events);
        // Acknowledged: the outcome is in the sender's log and its connection is due to be woken (at the batch end).
        if (ingress != 0) Latency.Add(Stopwatch.GetTimestamp() - ingress);

        if (!query)
        {
            // By the message the gateway published: some commands report no event (a cancel-all with nothing to cancel).
            Increment(ref _commands[(int)TypeOf[messageType & 0x7F]]);
            if (events.Length == 1 && events[0].Type == EventType.Rejected)
                Increment(ref _rejects[(int)events[0].Reason & (RejectCodes - 1)]);
            Health.Apply(events);
        }
        Volatile.Write(ref _reported, commandSequence);
    }

    public void OnEndOfBatch() => _inner.OnEndOfBatch();

    private static CommandType[] BuildTypeOf()
    {
        var map = new CommandType[128];
        map[Inbound.EnterOrder] = CommandType.NewOrder;
        map[Inbound.ReplaceOrder] = CommandType.Amend;
        map[Inbound.CancelOrder] = CommandType.Cancel;
        map[Inbound.CancelAll] = CommandType.CancelAll;
        map[Inbound.Deposit] = CommandType.Deposit;
        map[Inbound.Withdraw] = CommandType.Withdraw;
        map[Inbound.InsuranceDeposit] = CommandType.DepositInsurance;
        map[Inbound.SetMark] = CommandType.SetMark;
        map[Inbound.Funding] = CommandType.Funding;
        map[Inbound.ResumeTrading] = CommandType.ResumeTrading;
        return map;
    }

    private static void Increment(ref long counter) => Volatile.Write(ref counter, counter + 1);
}
