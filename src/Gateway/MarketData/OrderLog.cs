using CoreExchange = Exchange.Core.Exchange;
using Exchange.Client.Protocol;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Gateway.Streams;
using static Exchange.Gateway.MarketData.MarketDataEncoder;

namespace Exchange.Gateway.MarketData;

/// <summary>
/// The exchange's anonymous, sequenced full order log (docs/protocol.md section 12), derived on the output thread from
/// each command's events in sequence order; the business-logic thread never sees it. The core's events do not say
/// whether an order rested, so a taker (a new order, or an amend that lost its priority) is held back while it matches:
/// it rests with accepted − traded − cancelled lots, published as Add Order (or Order Replace) at the first event that
/// is no longer part of its matching, before anything (a liquidation order, say) can trade against it.
/// <para>Called under the router's gate, which also makes <see cref="Snapshot"/> a consistent cut.</para>
/// </summary>
internal sealed class OrderLog
{
    private readonly Dictionary<long, Resting> _book = new();
    private long _insurance;
    private long _timestamp;
    private long _sequence;

    // The taker being matched.
    private bool _pending;
    private bool _replaces;
    private long _takerId;
    private int _takerInstrument;
    private Side _takerSide;
    private long _takerPrice;
    private long _takerLeft;
    private byte _takerCancelReason;

    public OrderLog(UserStream feed, CoreExchange state)
    {
        Feed = feed;
        // A recovered book: its orders are known to the log (a late joiner's snapshot carries them).
        for (var i = 0; i < state.InstrumentCount; i++)
            foreach (var side in (ReadOnlySpan<Side>)[Side.Buy, Side.Sell])
                foreach (var o in state.OrdersInBook(i, side))
                    _book[o.OrderId] = new Resting(o.InstrumentId, o.Side, o.Price, o.Remaining);
        _insurance = state.Insurance;
    }

    /// <summary>The market-data stream: its log is the order log; market-data connections read it.</summary>
    public UserStream Feed { get; }

    /// <summary>One command's events (output thread, under the router's gate), after the router's state applied it.</summary>
    public void OnCommand(long sequence, long timestamp, in Command command, ReadOnlySpan<Event> events, long insurance)
    {
        lock (Feed.Gate)
        {
            _timestamp = timestamp;
            _sequence = sequence;
            var before = Feed.Log.Count;
            foreach (ref readonly var e in events)
            {
                if (_pending && !PartOfMatching(in e)) Flush();
                Route(in e, in command);
            }
            if (_pending) Flush();
            if (insurance != _insurance)
            {
                _insurance = insurance;
                Commit(Value(Reserve(MarketDataFormat.InsuranceFundLength), MarketDataFormat.InsuranceFund, _timestamp, _sequence, insurance));
            }
            if (Feed.Log.Count != before) Feed.NotifyReaders();
        }
    }

    /// <summary>
    /// A late joiner's snapshot at this point of the log (caller holds the router's gate): every resting order in
    /// priority order (per instrument: bids best first, then asks), each instrument's mark, the insurance fund, then
    /// End of Snapshot naming the sequence number the order log continues from.
    /// </summary>
    public List<byte[]> Snapshot(CoreExchange state, long nextSequence)
    {
        var list = new List<byte[]>();
        var seq = state.LastSequence;
        for (var i = 0; i < state.InstrumentCount; i++)
        {
            foreach (var side in (ReadOnlySpan<Side>)[Side.Buy, Side.Sell])
                foreach (var o in state.OrdersInBook(i, side))
                {
                    var m = new byte[MarketDataFormat.AddOrderLength];
                    Add(m, _timestamp, seq, i, o.OrderId, (byte)o.Side, o.Price, o.Remaining);
                    list.Add(m);
                }
            if (state.Mark(i) > 0)
            {
                var m = new byte[MarketDataFormat.MarkPriceLength];
                InstrumentValue(m, MarketDataFormat.MarkPrice, _timestamp, seq, i, state.Mark(i));
                list.Add(m);
            }
        }
        var insurance = new byte[MarketDataFormat.InsuranceFundLength];
        Value(insurance, MarketDataFormat.InsuranceFund, _timestamp, seq, state.Insurance);
        list.Add(insurance);
        var end = new byte[MarketDataFormat.EndOfSnapshotLength];
        Value(end, MarketDataFormat.EndOfSnapshot, _timestamp, seq, nextSequence);
        list.Add(end);
        return list;
    }

    /// <summary>Events that belong to the pending taker's matching: its own fills and cancels, and makers cancelled by STP.</summary>
    private bool PartOfMatching(in Event e) => e.Type switch
    {
        EventType.Trade => e.OrderId == _takerId && (e.Flags & EventFlags.Liquidation) == 0,
        EventType.OrderCancelled => e.OrderId == _takerId || e.CancelReason == CancelReason.SelfTrade,
        _ => false,
    };

    private void Route(in Event e, in Command c)
    {
        switch (e.Type)
        {
            case EventType.OrderAccepted:
                Hold(e.OrderId, e.InstrumentId, e.Side, e.Price, e.Quantity, replaces: false);
                break;
            case EventType.OrderAmended:
                Amended(in e);
                break;
            case EventType.Trade:
                if (_pending && e.OrderId == _takerId && (e.Flags & EventFlags.Liquidation) == 0) _takerLeft -= e.Quantity;
                Filled(in e);
                break;
            case EventType.OrderCancelled:
                if (_pending && e.OrderId == _takerId)
                {
                    _takerLeft -= e.Quantity;
                    _takerCancelReason = (byte)e.CancelReason;
                }
                else
                {
                    Cancelled(in e);
                }
                break;
            case EventType.MarkPrice:
                Commit(InstrumentValue(Reserve(MarketDataFormat.MarkPriceLength), MarketDataFormat.MarkPrice, _timestamp, _sequence,
                    e.InstrumentId, e.Price));
                break;
            case EventType.FundingDust:
                // Once per funding command: the rate is the command's.
                Commit(InstrumentValue(Reserve(MarketDataFormat.FundingLength), MarketDataFormat.Funding, _timestamp, _sequence,
                    e.InstrumentId, c.Amount));
                break;
            case EventType.AdlClosure:
                Commit(Adl(Reserve(MarketDataFormat.AutoDeleverageLength), _timestamp, _sequence, e.InstrumentId, (byte)e.Side, e.Price,
                    e.Quantity));
                break;
        }
    }

    private void Hold(long id, int instrument, Side side, long price, long qty, bool replaces)
    {
        _pending = true;
        _replaces = replaces;
        _takerId = id;
        _takerInstrument = instrument;
        _takerSide = side;
        _takerPrice = price;
        _takerLeft = qty;
        _takerCancelReason = MarketDataFormat.ReplacedNotResting;
    }

    private void Amended(in Event e)
    {
        if (!_book.TryGetValue(e.OrderId, out var o))
        {
            Hold(e.OrderId, e.InstrumentId, e.Side, e.Price, e.Quantity, replaces: false);
            return;
        }
        if ((e.Flags & EventFlags.PriorityKept) == 0)
        {
            // It keeps its old place in the published book until it rests again: nothing trades against its own side.
            Hold(e.OrderId, e.InstrumentId, e.Side, e.Price, e.Quantity, replaces: true);
            return;
        }
        var reduced = o.Remaining - e.Quantity;
        if (reduced <= 0) return;
        _book[e.OrderId] = o with { Remaining = e.Quantity };
        Commit(Cancel(Reserve(MarketDataFormat.OrderCancelLength), _timestamp, _sequence, e.InstrumentId, e.OrderId, reduced));
    }

    private void Filled(in Event e)
    {
        var flags = (e.Flags & EventFlags.Liquidation) != 0 ? MarketDataFormat.LiquidationFlag : (byte)0;
        if (!_book.TryGetValue(e.MakerOrderId, out var o))
        {
            // Not expected (every maker rests), but a fill is never dropped from the tape.
            Commit(TradeMessage(Reserve(MarketDataFormat.TradeLength), _timestamp, _sequence, e.InstrumentId, e.TradeId, (byte)e.Side,
                e.Price, e.Quantity, flags));
            return;
        }
        Commit(Executed(Reserve(MarketDataFormat.OrderExecutedLength), _timestamp, _sequence, e.InstrumentId, e.MakerOrderId, e.TradeId,
            e.Price, e.Quantity, (byte)o.Side, flags));
        if (o.Remaining - e.Quantity <= 0) _book.Remove(e.MakerOrderId);
        else _book[e.MakerOrderId] = o with { Remaining = o.Remaining - e.Quantity };
    }

    private void Cancelled(in Event e)
    {
        if (!_book.TryGetValue(e.OrderId, out var o)) return;
        if (e.Quantity >= o.Remaining)
        {
            _book.Remove(e.OrderId);
            Commit(Delete(Reserve(MarketDataFormat.OrderDeleteLength), _timestamp, _sequence, e.InstrumentId, e.OrderId, (byte)e.CancelReason));
        }
        else
        {
            _book[e.OrderId] = o with { Remaining = o.Remaining - e.Quantity };
            Commit(Cancel(Reserve(MarketDataFormat.OrderCancelLength), _timestamp, _sequence, e.InstrumentId, e.OrderId, e.Quantity));
        }
    }

    /// <summary>The taker's matching is over: it rests with what is left, or (a replaced order) leaves the book.</summary>
    private void Flush()
    {
        _pending = false;
        if (_replaces)
        {
            if (_takerLeft > 0)
            {
                _book[_takerId] = new Resting(_takerInstrument, _takerSide, _takerPrice, _takerLeft);
                Commit(Replace(Reserve(MarketDataFormat.OrderReplaceLength), _timestamp, _sequence, _takerInstrument, _takerId, _takerPrice,
                    _takerLeft));
            }
            else
            {
                _book.Remove(_takerId);
                Commit(Delete(Reserve(MarketDataFormat.OrderDeleteLength), _timestamp, _sequence, _takerInstrument, _takerId,
                    _takerCancelReason));
            }
        }
        else if (_takerLeft > 0)
        {
            _book[_takerId] = new Resting(_takerInstrument, _takerSide, _takerPrice, _takerLeft);
            Commit(Add(Reserve(MarketDataFormat.AddOrderLength), _timestamp, _sequence, _takerInstrument, _takerId, (byte)_takerSide,
                _takerPrice, _takerLeft));
        }
        _takerId = 0;
    }

    private Span<byte> Reserve(int length) => Feed.Log.Reserve(length);

    private void Commit(int length) => Feed.Log.Commit(length);

    private readonly record struct Resting(int Instrument, Side Side, long Price, long Remaining);
}
