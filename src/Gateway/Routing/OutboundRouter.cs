using System.Diagnostics;
using CoreExchange = Exchange.Core.Exchange;
using Exchange.Client.Protocol;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Pipeline;
using Exchange.Gateway.Diagnostics;
using Exchange.Gateway.Protocol;
using Exchange.Gateway.Sessions;
using Exchange.Gateway.Streams;
using Microsoft.Extensions.Logging;
using OrderLog = Exchange.Gateway.MarketData.OrderLog;

namespace Exchange.Gateway.Routing;

/// <summary>
/// The exchange's output side of the gateway: turns each command's events into sequenced messages in the users' logs
/// and wakes the connections reading them. Called on the pipeline's one output thread, in sequence order, once per
/// command, after the command is durable; it never blocks on a socket.
/// <para>
/// It reads account state (and answers queries, and market data reads the book) from <see cref="State"/>. With the
/// single-thread pipeline that is the core itself: this handler then runs on the exchange's own thread, right after
/// each command, and the pipeline holds <see cref="Gate"/> around each command, so session threads read it under the
/// gate between commands. With the parallel pipeline the core belongs to the business-logic thread, so the state is a
/// replica this handler feeds with the same commands (the core is deterministic, so the replica's state after command
/// n is the core's), comparing its events with the core's. Lock order: <see cref="Gate"/> before any stream's gate.
/// </para>
/// </summary>
internal sealed class OutboundRouter : IOutputHandler
{
    /// <summary>Guards <see cref="State"/>: held by the output side while it changes or reads it.</summary>
    public readonly Lock Gate;

    private readonly CoreExchange _state;
    private readonly bool _stateIsCore;
    private readonly PendingTable _pending;
    private readonly IReadOnlyDictionary<int, UserStream> _traders;
    private readonly AccountReporter _reports;
    private readonly ILogger? _log;
    private readonly List<UserStream> _touched = [];
    private readonly List<UserStream> _notify = [];
    // Connections to wake at the end of the batch, and the list being woken (swapped, so a wake that appends is safe).
    private List<Session> _wakeups = [];
    private List<Session> _waking = [];

    // The command being routed.
    private UserStream _sender = null!;
    private uint _token;
    private long _timestamp;
    private long _sequence;
    private int _outcome;
    private bool _rejected;
    private uint _cancelled;
    private uint _fundingPositions;
    private long _divergences;

    /// <param name="state">The exchange state to read: the core (<paramref name="stateIsCore"/>) or a replica to feed.</param>
    /// <param name="stateIsCore">The core itself, applied by the single-thread pipeline under <paramref name="gate"/>.</param>
    /// <param name="gate">The lock guarding the state (the pipeline's apply gate when it is the core).</param>
    public OutboundRouter(CoreExchange state, bool stateIsCore, Lock gate, PendingTable pending,
        IReadOnlyDictionary<int, UserStream> traders, ILogger? log)
    {
        _state = state;
        _stateIsCore = stateIsCore;
        Gate = gate;
        _pending = pending;
        _traders = traders;
        _reports = new AccountReporter(state);
        _log = log;
    }

    /// <summary>Commands whose events the replica did not reproduce exactly (0 unless something is badly wrong; always 0
    /// when the state is the core).</summary>
    public long Divergences => Volatile.Read(ref _divergences);

    /// <summary>The market-data order log, fed after each command is applied to the state (none until wired).</summary>
    internal OrderLog? MarketData { get; set; }

    /// <summary>Drop-copy group streams by account (docs/protocol.md section 13); empty when none is configured.</summary>
    internal IReadOnlyDictionary<int, UserStream> DropCopy { get; set; } = new Dictionary<int, UserStream>();

    /// <summary>The exchange state after the last routed command; read it only under <see cref="Gate"/>.</summary>
    internal CoreExchange State => _state;

    public void OnEvents(long commandSequence, long correlation, ReadOnlySpan<Event> events)
    {
        // This is the output thread: its notifications wait for the end of the batch (OnEndOfBatch).
        Session.DeferredWakeups = _wakeups;
        ref var p = ref _pending[correlation];
        long outputAt = 0;
        if (StageLatency.On)
        {
            StageLatency.Record(StageLatency.Output, p.PublishedAt);
            outputAt = Stopwatch.GetTimestamp();
        }
        lock (Gate)
        {
            _sender = p.Sender!;
            _token = p.Token;
            _timestamp = p.Command.Timestamp;
            _sequence = commandSequence;
            _outcome = 0;
            _rejected = false;
            _cancelled = 0;
            _fundingPositions = 0;
            _touched.Clear();
            _notify.Clear();

            foreach (ref readonly var e in events) Route(in e, in p.Command, p.MessageType);
            if (p.MessageType == Inbound.CancelAll && !_rejected)
                lock (_sender.Gate)
                    Appended(_sender, OutboundEncoder.CancelAllDone(_sender.Log.Reserve(Outbound.CancelAllDoneLength), _timestamp,
                        _token, p.Command.AccountId, p.Command.InstrumentId, _cancelled));

            var command = p.Command;
            command.Sequence = commandSequence;
            if (!_stateIsCore && !_state.Apply(in command).SequenceEqual(events)) Diverged(commandSequence);
            MarketData?.OnCommand(commandSequence, _timestamp, in command, events, _state.Insurance);

            foreach (var s in _touched)
                lock (s.Gate)
                    Committed(s, _reports.Updates(s, TokenFor(s), _timestamp));

            lock (_sender.Gate)
            {
                _sender.Complete(_token, _outcome);
                while (_sender.TryTakeReadyQuery(out var q)) _reports.Answer(_sender, q.Token, q.Account, q.Timestamp);
                _sender.NotifyReaders();
            }
            foreach (var s in _notify)
                if (s != _sender)
                    lock (s.Gate) s.NotifyReaders();
        }
        StageLatency.Record(StageLatency.Routed, outputAt);
        _pending.Release(correlation);
    }

    /// <summary>
    /// Wakes the connections whose logs grew during the batch, each once, on this thread and holding no lock: their
    /// senders write and send here, saving a thread-pool hand-off per connection and batch (docs/benchmarks.md).
    /// </summary>
    public void OnEndOfBatch()
    {
        // A sender run here can, rarely, append to a log on this thread (an abort that completes its connection's
        // receive loop inline, say): such wake-ups land in the other list and are taken in the next round.
        while (_wakeups.Count > 0)
        {
            (_waking, _wakeups) = (_wakeups, _waking);
            Session.DeferredWakeups = _wakeups;
            foreach (var session in _waking) session.WakeInline();
            _waking.Clear();
        }
        StageLatency.OutputThreadAllocated();
    }

    /// <summary>
    /// Answers an account query for <paramref name="stream"/>'s user once that user's earlier commands are reported,
    /// so the answer reflects them. Called on a session thread.
    /// </summary>
    public void Query(UserStream stream, uint token, int account, long timestamp)
    {
        lock (Gate)
        lock (stream.Gate)
        {
            if (stream.Completed >= stream.Published) _reports.Answer(stream, token, account, timestamp);
            else stream.Defer(new DeferredQuery(token, account, stream.Published, timestamp));
            stream.NotifyReaders();
        }
    }

    private void Route(in Event e, in Command c, byte messageType)
    {
        UserStream? s;
        switch (e.Type)
        {
            case EventType.Rejected:
                _rejected = true;
                lock (_sender.Gate)
                    Committed(_sender, _sender.AppendRejected(_timestamp, _token, messageType, (byte)e.Reason, (uint)e.AccountId,
                        HasInstrument(messageType) ? e.InstrumentId : -1, e.OrderId));
                break;
            case EventType.OrderAccepted:
                if ((s = TraderOf(e.AccountId)) is null) break;
                var tif = c.OrderType == OrderType.Market ? (c.TimeInForce == TimeInForce.Fok ? TimeInForce.Fok : TimeInForce.Ioc) : c.TimeInForce;
                lock (s.Gate)
                    Appended(s, OutboundEncoder.Accepted(s.Log.Reserve(Outbound.OrderAcceptedLength), _timestamp, TokenFor(s),
                        e.AccountId, e.InstrumentId, e.OrderId, (byte)e.Side, (byte)c.OrderType, (byte)tif, (byte)c.Flags,
                        (byte)c.Stp, e.Price, e.Quantity));
                break;
            case EventType.Trade:
                Trade(in e);
                break;
            case EventType.OrderCancelled:
                if (messageType == Inbound.CancelAll && e.CancelReason == CancelReason.User) _cancelled++;
                if ((s = TraderOf(e.AccountId)) is null) break;
                lock (s.Gate)
                    Appended(s, OutboundEncoder.Canceled(s.Log.Reserve(Outbound.OrderCanceledLength), _timestamp, TokenFor(s),
                        e.AccountId, e.InstrumentId, e.OrderId, (uint)e.ClientOrderId, (byte)e.Side, (byte)e.CancelReason, e.Price, e.Quantity));
                break;
            case EventType.OrderAmended:
                if ((s = TraderOf(e.AccountId)) is null) break;
                lock (s.Gate)
                    Appended(s, OutboundEncoder.Replaced(s.Log.Reserve(Outbound.OrderReplacedLength), _timestamp, TokenFor(s),
                        e.AccountId, e.InstrumentId, e.OrderId, (uint)e.ClientOrderId, (byte)e.Side,
                        (byte)((e.Flags & EventFlags.PriorityKept) != 0 ? 1 : 0), e.Price, e.Quantity));
                break;
            case EventType.Deposited:
                Transfer(in e, e.AccountId == 0 ? Outbound.InsuranceDepositKind : Outbound.DepositKind);
                break;
            case EventType.Withdrawn:
                Transfer(in e, Outbound.WithdrawalKind);
                break;
            case EventType.MarkPrice:
                lock (_sender.Gate)
                    Appended(_sender, OutboundEncoder.MarkSet(_sender.Log.Reserve(Outbound.MarkPriceSetLength), _timestamp, _token,
                        e.InstrumentId, e.Price));
                break;
            case EventType.Funding:
                _fundingPositions++;
                // Funding moves the balance, not the position: a B follows, no P (docs/protocol.md section 4).
                if ((s = Touch(e.AccountId, -1)) is null) break;
                lock (s.Gate)
                    Appended(s, OutboundEncoder.FundingPayment(s.Log.Reserve(Outbound.FundingPaymentLength), _timestamp, TokenFor(s),
                        e.AccountId, e.InstrumentId, e.Quantity, e.Amount));
                break;
            case EventType.FundingDust:
                lock (_sender.Gate)
                    Appended(_sender, OutboundEncoder.FundingApplied(_sender.Log.Reserve(Outbound.FundingAppliedLength), _timestamp,
                        _token, e.InstrumentId, c.Amount, _fundingPositions, e.Amount));
                break;
            case EventType.LiquidationStarted:
            case EventType.LiquidationEnded:
                var ended = e.Type == EventType.LiquidationEnded;
                if ((s = ended ? Touch(e.AccountId, -1) : TraderOf(e.AccountId)) is null) break;
                lock (s.Gate)
                    Appended(s, OutboundEncoder.Liquidation(s.Log.Reserve(Outbound.LiquidationLength), _timestamp, TokenFor(s),
                        e.AccountId, ended ? Outbound.Ended : Outbound.Started, (byte)((e.Flags & EventFlags.Cured) != 0 ? 1 : 0),
                        e.Amount, ended ? 0 : e.Amount2));
                break;
            case EventType.LiquidationFee:
            case EventType.InsurancePayment:
                if ((s = Touch(e.AccountId, e.InstrumentId)) is null) break;
                var type = e.Type == EventType.LiquidationFee ? Outbound.LiquidationFee : Outbound.InsurancePayment;
                lock (s.Gate)
                    Appended(s, OutboundEncoder.AccountAmount(s.Log.Reserve(Outbound.LiquidationFeeLength), type, _timestamp,
                        TokenFor(s), e.AccountId, e.InstrumentId, e.Amount));
                break;
            case EventType.AdlClosure:
                Adl(e.AccountId, in e, Outbound.Liquidated, e.Side);
                Adl(e.CounterpartyId, in e, Outbound.Deleveraged, Opposite(e.Side));
                break;
            case EventType.Haircut:
                if ((s = Touch(e.AccountId, -1)) is null) break;
                lock (s.Gate)
                    Appended(s, OutboundEncoder.Haircut(s.Log.Reserve(Outbound.HaircutLength), _timestamp, TokenFor(s), e.AccountId, e.Amount));
                break;
            // ExchangeLoss concerns the exchange's own ledger: no trader is told (a drop copy would be).
        }
    }

    private void Trade(in Event e)
    {
        var liquidation = (e.Flags & EventFlags.Liquidation) != 0;
        var taker = Touch(e.AccountId, e.InstrumentId);
        if (taker is not null)
            lock (taker.Gate)
                Appended(taker, OutboundEncoder.Executed(taker.Log.Reserve(Outbound.OrderExecutedLength), _timestamp, TokenFor(taker),
                    e.AccountId, e.InstrumentId, e.OrderId, (uint)e.ClientOrderId, e.TradeId, (byte)e.Side,
                    liquidation ? Outbound.LiquidationOrder : Outbound.Taker, e.Price, e.Quantity, e.Amount));
        var makerToken = (uint)e.MakerClientOrderId;
        // Drop copy: the same execution report, with token 0, to the group of each side's account.
        if (DropCopy.TryGetValue(e.AccountId, out var group))
            lock (group.Gate)
                Appended(group, OutboundEncoder.Executed(group.Log.Reserve(Outbound.OrderExecutedLength), _timestamp, 0,
                    e.AccountId, e.InstrumentId, e.OrderId, (uint)e.ClientOrderId, e.TradeId, (byte)e.Side,
                    liquidation ? Outbound.LiquidationOrder : Outbound.Taker, e.Price, e.Quantity, e.Amount));
        if (DropCopy.TryGetValue(e.CounterpartyId, out group))
            lock (group.Gate)
                Appended(group, OutboundEncoder.Executed(group.Log.Reserve(Outbound.OrderExecutedLength), _timestamp, 0,
                    e.CounterpartyId, e.InstrumentId, e.MakerOrderId, makerToken, e.TradeId, (byte)Opposite(e.Side), Outbound.Maker,
                    e.Price, e.Quantity, e.Amount2));
        var maker = Touch(e.CounterpartyId, e.InstrumentId);
        if (maker is null) return;
        lock (maker.Gate)
            Appended(maker, OutboundEncoder.Executed(maker.Log.Reserve(Outbound.OrderExecutedLength), _timestamp, TokenFor(maker),
                e.CounterpartyId, e.InstrumentId, e.MakerOrderId, makerToken, e.TradeId, (byte)Opposite(e.Side), Outbound.Maker,
                e.Price, e.Quantity, e.Amount2));
    }

    private void Transfer(in Event e, byte kind)
    {
        lock (_sender.Gate)
            Appended(_sender, OutboundEncoder.Transfer(_sender.Log.Reserve(Outbound.TransferLength), _timestamp, _token, kind,
                e.AccountId, e.Amount));
        if (e.AccountId == 0) return;
        var s = Touch(e.AccountId, -1);
        if (s is null || s == _sender) return;
        lock (s.Gate)
            Appended(s, OutboundEncoder.Transfer(s.Log.Reserve(Outbound.TransferLength), _timestamp, 0, kind, e.AccountId, e.Amount));
    }

    private void Adl(int account, in Event e, byte role, Side side)
    {
        var s = Touch(account, e.InstrumentId);
        if (s is null) return;
        lock (s.Gate)
            Appended(s, OutboundEncoder.AutoDeleverage(s.Log.Reserve(Outbound.AutoDeleverageLength), _timestamp, TokenFor(s),
                account, e.InstrumentId, role, (byte)side, e.Price, e.Quantity, e.Quote));
    }

    private UserStream? TraderOf(int account) => _traders.TryGetValue(account, out var s) ? s : null;

    /// <summary>The account's trader stream, marked for a balance update (and a position update when instrument ≥ 0).</summary>
    private UserStream? Touch(int account, int instrument)
    {
        var s = TraderOf(account);
        if (s is null) return null;
        if (s.TouchedBy != _sequence)
        {
            s.TouchedBy = _sequence;
            s.TouchedInstruments = 0;
            _touched.Add(s);
        }
        if (instrument >= 0) s.TouchedInstruments |= 1UL << instrument;
        return s;
    }

    private uint TokenFor(UserStream s) => s == _sender ? _token : 0;

    /// <summary>Commits a reserved message of <paramref name="length"/> bytes (caller holds the stream's gate).</summary>
    private void Appended(UserStream s, int length) => Committed(s, s.Log.Commit(length));

    private void Committed(UserStream s, int sequence)
    {
        if (s == _sender && _outcome == 0) _outcome = sequence;
        if (s.NotifyBy == _sequence) return;
        s.NotifyBy = _sequence;
        _notify.Add(s);
    }

    private static bool HasInstrument(byte messageType) =>
        messageType is Inbound.EnterOrder or Inbound.CancelAll or Inbound.SetMark or Inbound.Funding;

    private static Side Opposite(Side side) => side == Side.Buy ? Side.Sell : Side.Buy;

    private void Diverged(long sequence)
    {
        if (Interlocked.Increment(ref _divergences) == 1)
            _log?.LogError("The gateway's replica diverged from the core at command {Sequence}: queries may be wrong", sequence);
    }
}
