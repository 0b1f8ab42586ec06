using Exchange.Client.Protocol;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Gateway.MarketData;
using Exchange.Gateway.Protocol;
using Exchange.Gateway.Streams;

namespace Exchange.Gateway.Routing;

/// <summary>
/// The traders' side of the output: translates one command's events into its sender's messages (token set) and the
/// execution reports, liquidation, funding and account updates of every trader whose account it touched (token 0), in
/// event order, answers an account query from the query's events, and writes the J of a message the gateway refused
/// (a journaled gateway reject). Output thread only.
/// <para>Lock contract: it takes one stream's <see cref="UserStream.Gate"/> at a time, around each append, and never
/// holds one while it calls out; it notifies the streams it appended to at the end of the command, into the output
/// side's <see cref="WakeBatch"/>.</para>
/// </summary>
internal sealed class ExecutionReports(IReadOnlyDictionary<int, UserStream> traders, TokenOutcomes outcomes)
{
    private readonly List<UserStream> _notify = [];
    // Every trader's stream once (a halt or resume goes to all of them).
    private readonly List<UserStream> _traderStreams = Distinct(traders.Values);

    // The command being translated.
    private UserStream _sender = null!;
    private uint _token;
    private long _timestamp;
    private long _sequence;
    private long _outcome;
    private byte _messageType;
    private uint _fundingPositions;

    /// <summary>One command's events, for the trader streams; <paramref name="sender"/> sent it with <paramref name="token"/>.</summary>
    public void OnCommand(UserStream sender, uint token, byte messageType, long commandSequence, ReadOnlySpan<Event> events, WakeBatch wakes)
    {
        _sender = sender;
        _token = token;
        // Every event of a command carries its timestamp, and every command has at least one event.
        _timestamp = events.IsEmpty ? 0 : events[0].Timestamp;
        _sequence = commandSequence;
        _messageType = messageType;
        _outcome = 0;
        _fundingPositions = 0;
        _notify.Clear();

        // A message the gateway refused (a journaled gateway reject): its J, which is no command's outcome (it consumed
        // no token, so a resend of it is answered anew, never with this J).
        if (events.Length == 1 && events[0].Type == EventType.GatewayRejected)
        {
            ref readonly var r = ref events[0];
            lock (sender.Gate)
            {
                sender.AppendRejected(_timestamp, token, r.RejectedMessageType, (byte)r.Reason, (uint)r.AccountId, r.InstrumentId, r.OrderId);
                sender.NotifyReaders(wakes);
            }
            return;
        }

        if (messageType == Inbound.AccountQuery)
        {
            lock (sender.Gate)
            {
                Answer(events);
                sender.NotifyReaders(wakes);
            }
            return;
        }

        foreach (ref readonly var e in events) Translate(in e);
        lock (sender.Gate) sender.NotifyReaders(wakes);
        foreach (var s in _notify)
            if (s != sender)
                lock (s.Gate) s.NotifyReaders(wakes);
    }

    private void Translate(in Event e)
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
                lock (_sender.Gate)
                    Committed(_sender, outcomes.AnswerDuplicate(_sender, in e, _timestamp, _token, messageType,
                        HasInstrument(messageType) ? e.InstrumentId : -1), outcome: true);
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

    private static List<UserStream> Distinct(IEnumerable<UserStream> streams)
    {
        var list = new List<UserStream>();
        foreach (var s in streams)
            if (!list.Contains(s)) list.Add(s);
        return list;
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

    private UserStream? TraderOf(int account) => traders.TryGetValue(account, out var s) ? s : null;

    /// <summary>The account's trader stream, if it has one (its account state follows at the command's end).</summary>
    private UserStream? Notified(int account) => TraderOf(account);

    private uint TokenFor(UserStream s) => s == _sender ? _token : 0;

    /// <summary>Commits a reserved message of <paramref name="length"/> bytes (caller holds the stream's gate).</summary>
    private void Appended(UserStream s, int length) => Committed(s, s.Log.Commit(length));

    /// <param name="outcome">This is the command's outcome even if the sender got messages before it (a cancel-all's
    /// K after the C of each order).</param>
    private void Committed(UserStream s, long sequence, bool outcome = false)
    {
        if (s == _sender && _outcome == 0 && (outcome || _messageType != Inbound.CancelAll))
        {
            // The command's outcome (docs/protocol.md section 4: its first message to its sender, but a cancel-all's K or
            // J): a duplicate of its token finds it by the command's sequence.
            _outcome = sequence;
            outcomes.Record(s, _sequence, sequence);
        }
        if (s.NotifyBy == _sequence) return;
        s.NotifyBy = _sequence;
        _notify.Add(s);
    }

    private static bool HasInstrument(byte messageType) =>
        messageType is Inbound.EnterOrder or Inbound.CancelAll or Inbound.SetMark or Inbound.Funding or Inbound.ResumeTrading;

    private static Side Opposite(Side side) => side == Side.Buy ? Side.Sell : Side.Buy;
}
