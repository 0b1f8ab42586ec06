using System.Diagnostics;
using Exchange.Client.Protocol;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Pipeline;
using Exchange.Gateway.Diagnostics;
using Exchange.Gateway.MarketData;
using Exchange.Gateway.Protocol;
using Exchange.Gateway.Sessions;
using Exchange.Gateway.Streams;
using OrderLog = Exchange.Gateway.MarketData.OrderLog;

namespace Exchange.Gateway.Routing;

/// <summary>
/// The exchange's output side of the gateway: translates each command's events, and nothing else, into sequenced
/// messages in the users' logs, the market-data order log and the drop-copy logs, and wakes the connections reading
/// them. Called on the pipeline's one output thread, in sequence order, once per command, after the command is durable;
/// it never blocks on a socket and never reads the core: the events carry every order's terms, where it rests, and
/// the state of each account a command changed; queries (an account's state, a late joiner's book) come back the
/// same way, in sequence. The same code runs behind either pipeline topology. It takes one stream's gate at a time.
/// </summary>
internal sealed class OutboundRouter : IOutputHandler
{
    private readonly PendingTable _pending;
    private readonly IReadOnlyDictionary<int, UserStream> _traders;
    // Every trader's stream once (a halt or resume goes to all of them).
    private readonly List<UserStream> _traderStreams = [];
    private readonly List<UserStream> _notify = [];
    private readonly WakeBatch _wakes = new();

    // The command being routed.
    private UserStream _sender = null!;
    private uint _token;
    private long _timestamp;
    private long _sequence;
    private int _outcome;
    private byte _messageType;
    private uint _fundingPositions;

    public OutboundRouter(PendingTable pending, IReadOnlyDictionary<int, UserStream> traders)
    {
        _pending = pending;
        _traders = traders;
        foreach (var s in traders.Values)
            if (!_traderStreams.Contains(s)) _traderStreams.Add(s);
    }

    /// <summary>The market-data order log, fed with every state-changing command's events (none until wired).</summary>
    internal OrderLog? MarketData { get; set; }

    /// <summary>Drop-copy group streams by account (docs/protocol.md section 13); empty when none is configured.</summary>
    internal IReadOnlyDictionary<int, UserStream> DropCopy { get; set; } = new Dictionary<int, UserStream>();

    public void OnEvents(long commandSequence, long correlation, ReadOnlySpan<Event> events)
    {
        ref var p = ref _pending[correlation];
        long outputAt = 0;
        if (StageLatency.On)
        {
            StageLatency.Record(StageLatency.Output, p.PublishedAt);
            outputAt = Stopwatch.GetTimestamp();
        }
        if (p.Book is { } book)
        {
            if (MarketData is { } log) book.Answer(log, events);
        }
        else
        {
            Route(ref p, commandSequence, events);
        }
        StageLatency.Record(StageLatency.Routed, outputAt);
        _pending.Release(correlation);
    }

    private void Route(ref PendingCommand p, long commandSequence, ReadOnlySpan<Event> events)
    {
        _sender = p.Sender!;
        _token = p.Token;
        // Every event of a command carries its timestamp, and every command has at least one event.
        _timestamp = events.IsEmpty ? 0 : events[0].Timestamp;
        _sequence = commandSequence;
        _messageType = p.MessageType;
        _outcome = 0;
        _fundingPositions = 0;
        _notify.Clear();

        if (_messageType == Inbound.AccountQuery)
        {
            lock (_sender.Gate)
            {
                Answer(events);
                _sender.NotifyReaders(_wakes);
            }
            return;
        }

        foreach (ref readonly var e in events) Route(in e);
        MarketData?.OnCommand(commandSequence, events, _wakes);

        lock (_sender.Gate) _sender.NotifyReaders(_wakes);
        foreach (var s in _notify)
            if (s != _sender)
                lock (s.Gate) s.NotifyReaders(_wakes);
    }

    /// <summary>
    /// Wakes the connections whose logs grew during the batch, each once, on this thread and holding no lock: their
    /// senders write and send here, saving a thread-pool hand-off per connection and batch (docs/benchmarks.md).
    /// </summary>
    public void OnEndOfBatch()
    {
        _wakes.Flush();
        StageLatency.OutputThreadAllocated();
    }

    private void Route(in Event e)
    {
        var messageType = _messageType;
        UserStream? s;
        switch (e.Type)
        {
            case EventType.Rejected:
                lock (_sender.Gate)
                    Committed(_sender, _sender.AppendRejected(_timestamp, _token, messageType, (byte)e.Reason, (uint)e.AccountId,
                        HasInstrument(messageType) ? e.InstrumentId : -1, e.OrderId), outcome: true);
                break;
            case EventType.Duplicate:
                // Nothing executed (no other event follows): the original outcome again, byte for byte, from the
                // stream; if the stream no longer holds it, a J with its reject code, or STALE_TOKEN when it was
                // executed, carrying its order id (docs/protocol.md section 7).
                lock (_sender.Gate)
                {
                    var original = _sender.Log.FindOutcome(e.OriginalSequence);
                    var code = e.OriginalOutcome != RejectCode.None ? e.OriginalOutcome : RejectCode.StaleToken;
                    Committed(_sender, original > 0
                        ? _sender.AppendCopy(original)
                        : _sender.AppendRejected(_timestamp, _token, messageType, (byte)code, (uint)e.AccountId,
                            HasInstrument(messageType) ? e.InstrumentId : -1, e.OrderId), outcome: true);
                }
                break;
            case EventType.OrderAccepted:
                if ((s = TraderOf(e.AccountId)) is null) break;
                lock (s.Gate)
                    Appended(s, OutboundEncoder.Accepted(s.Log.Reserve(Outbound.OrderAcceptedLength), _timestamp, TokenFor(s),
                        e.AccountId, e.InstrumentId, e.OrderId, (byte)e.Side, (byte)e.OrderType, (byte)e.TimeInForce, (byte)e.OrderFlags,
                        (byte)e.Stp, e.Price, e.Quantity));
                break;
            case EventType.Trade:
                Trade(in e);
                break;
            case EventType.OrderCancelled:
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
            case EventType.TradingHalted:
            case EventType.TradingResumed:
                TradingStatus(in e);
                break;
            case EventType.Funding:
                _fundingPositions++;
                // Funding moves the balance, not the position: a B follows, no P (docs/protocol.md section 4).
                if ((s = Notified(e.AccountId)) is null) break;
                lock (s.Gate)
                    Appended(s, OutboundEncoder.FundingPayment(s.Log.Reserve(Outbound.FundingPaymentLength), _timestamp, TokenFor(s),
                        e.AccountId, e.InstrumentId, e.Quantity, e.Amount));
                break;
            case EventType.FundingDust:
                lock (_sender.Gate)
                    Appended(_sender, OutboundEncoder.FundingApplied(_sender.Log.Reserve(Outbound.FundingAppliedLength), _timestamp,
                        _token, e.InstrumentId, e.FundingRate, _fundingPositions, e.Amount));
                break;
            case EventType.CancelAllDone:
                // The cancel-all's own messages are over: its summary precedes the account updates.
                lock (_sender.Gate)
                    Committed(_sender, _sender.Log.Commit(OutboundEncoder.CancelAllDone(_sender.Log.Reserve(Outbound.CancelAllDoneLength),
                        _timestamp, _token, e.AccountId, e.InstrumentId, (uint)e.CancelledOrders)), outcome: true);
                break;
            case EventType.LiquidationStarted:
            case EventType.LiquidationEnded:
                var ended = e.Type == EventType.LiquidationEnded;
                if ((s = ended ? Notified(e.AccountId) : TraderOf(e.AccountId)) is null) break;
                lock (s.Gate)
                    Appended(s, OutboundEncoder.Liquidation(s.Log.Reserve(Outbound.LiquidationLength), _timestamp, TokenFor(s),
                        e.AccountId, ended ? Outbound.Ended : Outbound.Started, (byte)((e.Flags & EventFlags.Cured) != 0 ? 1 : 0),
                        ended ? e.Amount : e.EquityAtStart, ended ? 0 : e.MaintenanceAtStart));
                break;
            case EventType.LiquidationFee:
            case EventType.InsurancePayment:
                if ((s = Notified(e.AccountId)) is null) break;
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
                if ((s = Notified(e.AccountId)) is null) break;
                lock (s.Gate)
                    Appended(s, OutboundEncoder.Haircut(s.Log.Reserve(Outbound.HaircutLength), _timestamp, TokenFor(s), e.AccountId, e.Amount));
                break;
            case EventType.PositionState:
                if ((s = TraderOf(e.AccountId)) is null) break;
                lock (s.Gate)
                    s.Log.Commit(OutboundEncoder.PositionUpdate(s.Log.Reserve(Outbound.PositionUpdateLength), _timestamp, TokenFor(s),
                        e.AccountId, e.InstrumentId, e.PositionQty, e.CostBasis, e.Upnl));
                break;
            case EventType.AccountState:
                if ((s = TraderOf(e.AccountId)) is null) break;
                lock (s.Gate)
                    Appended(s, OutboundEncoder.BalanceUpdate(s.Log.Reserve(Outbound.BalanceUpdateLength), _timestamp, TokenFor(s),
                        e.AccountId, e.Balance, e.Equity, e.MaintenanceMargin, e.FreeMargin, e.OpenOrders));
                break;
            // ExchangeLoss concerns the exchange's own ledger: no trader is told (a drop copy would be). OrderRested and
            // InsuranceFund are for market data.
        }
    }

    /// <summary>
    /// The answer to an account query, from the query's events: the account's state with an entry per position or open
    /// orders, and the user's next expected token (the core's). Account 0 (not an account: the core rejects it) asks for the token
    /// only. Caller holds the sender's gate.
    /// </summary>
    private void Answer(ReadOnlySpan<Event> events)
    {
        var to = _sender;
        // The user's next expected token is the core's (it answers a query that names the user's token space).
        ref readonly var last = ref events[^1];
        var next = last.NextToken;
        if (last.Type == EventType.Rejected)
        {
            if (last.AccountId == 0)
                to.Log.Commit(OutboundEncoder.AccountState(to.Log.Reserve(Outbound.AccountStateHeaderLength), _timestamp, _token,
                    0, 0, 0, 0, 0, 0, next, 0));
            else
                to.AppendRejected(_timestamp, _token, Inbound.AccountQuery, (byte)last.Reason, (uint)last.AccountId, -1, 0);
            return;
        }
        var count = events.Length - 1;
        var span = to.Log.Reserve(Outbound.AccountStateHeaderLength + count * Outbound.AccountStateEntryLength);
        for (var i = 0; i < count; i++)
        {
            ref readonly var p = ref events[i];
            OutboundEncoder.AccountStateEntry(span[(Outbound.AccountStateHeaderLength + i * Outbound.AccountStateEntryLength)..],
                p.InstrumentId, p.PositionQty, p.CostBasis, p.Upnl, p.OpenBuyLots, p.OpenSellLots, (byte)p.AdlQuintile);
        }
        OutboundEncoder.AccountState(span, _timestamp, _token, last.AccountId, last.Balance, last.Equity, last.MaintenanceMargin,
            last.FreeMargin, last.OpenOrders, next, (byte)count);
        to.Log.Commit(Outbound.AccountStateHeaderLength + count * Outbound.AccountStateEntryLength);
    }

    private void Trade(in Event e)
    {
        var liquidation = (e.Flags & EventFlags.Liquidation) != 0;
        var taker = Notified(e.AccountId);
        if (taker is not null)
            lock (taker.Gate)
                Appended(taker, OutboundEncoder.Executed(taker.Log.Reserve(Outbound.OrderExecutedLength), _timestamp, TokenFor(taker),
                    e.AccountId, e.InstrumentId, e.OrderId, (uint)e.ClientOrderId, e.TradeId, (byte)e.Side,
                    liquidation ? Outbound.LiquidationOrder : Outbound.Taker, e.Price, e.Quantity, e.TakerFee));
        var makerToken = (uint)e.MakerClientOrderId;
        // Drop copy: the same execution report, with token 0, to the group of each side's account.
        if (DropCopy.TryGetValue(e.AccountId, out var group))
            lock (group.Gate)
                Appended(group, OutboundEncoder.Executed(group.Log.Reserve(Outbound.OrderExecutedLength), _timestamp, 0,
                    e.AccountId, e.InstrumentId, e.OrderId, (uint)e.ClientOrderId, e.TradeId, (byte)e.Side,
                    liquidation ? Outbound.LiquidationOrder : Outbound.Taker, e.Price, e.Quantity, e.TakerFee));
        if (DropCopy.TryGetValue(e.CounterpartyId, out group))
            lock (group.Gate)
                Appended(group, OutboundEncoder.Executed(group.Log.Reserve(Outbound.OrderExecutedLength), _timestamp, 0,
                    e.CounterpartyId, e.InstrumentId, e.MakerOrderId, makerToken, e.TradeId, (byte)Opposite(e.Side), Outbound.Maker,
                    e.Price, e.Quantity, e.MakerFee));
        var maker = Notified(e.CounterpartyId);
        if (maker is null) return;
        lock (maker.Gate)
            Appended(maker, OutboundEncoder.Executed(maker.Log.Reserve(Outbound.OrderExecutedLength), _timestamp, TokenFor(maker),
                e.CounterpartyId, e.InstrumentId, e.MakerOrderId, makerToken, e.TradeId, (byte)Opposite(e.Side), Outbound.Maker,
                e.Price, e.Quantity, e.MakerFee));
    }

    /// <summary>
    /// A halt or a resume: to the command's sender (its outcome, with its token) and to every trader (token 0), whether
    /// or not it trades the instrument, so no trader learns of a halt from a refused order first. Rare: a loop over
    /// the traders is fine here.
    /// </summary>
    private void TradingStatus(in Event e)
    {
        var status = MarketDataEncoder.TradingStatusOf(in e);
        var reference = e.Type == EventType.TradingHalted ? e.Amount : 0;
        lock (_sender.Gate)
            Appended(_sender, OutboundEncoder.TradingStatus(_sender.Log.Reserve(Outbound.TradingStatusLength), _timestamp, _token,
                e.InstrumentId, status, e.Price, reference));
        foreach (var s in _traderStreams)
        {
            if (s == _sender) continue;
            lock (s.Gate)
                Appended(s, OutboundEncoder.TradingStatus(s.Log.Reserve(Outbound.TradingStatusLength), _timestamp, 0, e.InstrumentId,
                    status, e.Price, reference));
        }
    }

    private void Transfer(in Event e, byte kind)
    {
        lock (_sender.Gate)
            Appended(_sender, OutboundEncoder.Transfer(_sender.Log.Reserve(Outbound.TransferLength), _timestamp, _token, kind,
                e.AccountId, e.Amount));
        if (e.AccountId == 0) return;
        var s = Notified(e.AccountId);
        if (s is null || s == _sender) return;
        lock (s.Gate)
            Appended(s, OutboundEncoder.Transfer(s.Log.Reserve(Outbound.TransferLength), _timestamp, 0, kind, e.AccountId, e.Amount));
    }

    private void Adl(int account, in Event e, byte role, Side side)
    {
        var s = Notified(account);
        if (s is null) return;
        lock (s.Gate)
            Appended(s, OutboundEncoder.AutoDeleverage(s.Log.Reserve(Outbound.AutoDeleverageLength), _timestamp, TokenFor(s),
                account, e.InstrumentId, role, (byte)side, e.Price, e.Quantity, e.Quote));
    }

    private UserStream? TraderOf(int account) => _traders.TryGetValue(account, out var s) ? s : null;

    /// <summary>The account's trader stream, if it has one (its account state follows at the command's end).</summary>
    private UserStream? Notified(int account) => TraderOf(account);

    private uint TokenFor(UserStream s) => s == _sender ? _token : 0;

    /// <summary>Commits a reserved message of <paramref name="length"/> bytes (caller holds the stream's gate).</summary>
    private void Appended(UserStream s, int length) => Committed(s, s.Log.Commit(length));

    /// <param name="outcome">This is the command's outcome even if the sender got messages before it (a cancel-all's
    /// K after the C of each order).</param>
    private void Committed(UserStream s, int sequence, bool outcome = false)
    {
        if (s == _sender && _outcome == 0 && (outcome || _messageType != Inbound.CancelAll))
        {
            // The command's outcome (docs/protocol.md section 4: its first message to its sender, but a cancel-all's K or
            // J): a duplicate of its token finds it by the command's sequence.
            _outcome = sequence;
            s.Log.MarkOutcome(_sequence, sequence);
        }
        if (s.NotifyBy == _sequence) return;
        s.NotifyBy = _sequence;
        _notify.Add(s);
    }

    private static bool HasInstrument(byte messageType) =>
        messageType is Inbound.EnterOrder or Inbound.CancelAll or Inbound.SetMark or Inbound.Funding or Inbound.ResumeTrading;

    private static Side Opposite(Side side) => side == Side.Buy ? Side.Sell : Side.Buy;
}
