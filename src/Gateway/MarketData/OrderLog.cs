using Exchange.Client.Protocol;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Gateway.Streams;
using static Exchange.Gateway.MarketData.MarketDataEncoder;

namespace Exchange.Gateway.MarketData;

/// <summary>
/// The exchange's anonymous, sequenced full order log (docs/protocol.md section 12), translated on the output thread
/// from each command's events in sequence order. The events say where an order rests (OrderRested), what a
/// priority-keeping amend took off the book, and the insurance fund, so the log keeps no book of its own. One piece
/// of state spans events: a replacing amend keeps its old place in the published book while it matches, and leaves
/// it with Order Replace when it rests again, or Order Delete when it is cancelled or filled in full.
/// </summary>
internal sealed class OrderLog(UserStream feed)
{
    private long _timestamp;
    private long _sequence;

    // The order this command accepted, while it matches (0 = none): its unfilled remainder never rested, so its cancel
    // is not published.
    private long _taker;

    // The replacing amend being matched: its id and the lots it still has (0 = none).
    private long _replacing;
    private long _replacingLeft;
    private int _replacingInstrument;

    /// <summary>The market-data stream: its log is the order log; market-data connections read it.</summary>
    public UserStream Feed { get; } = feed;

    /// <summary>One state-changing command's events (output thread): the readers are woken when
    /// <paramref name="wakes"/> ends.</summary>
    public void OnCommand(long sequence, ReadOnlySpan<Event> events, Routing.WakeBatch? wakes)
    {
        lock (Feed.Gate)
        {
            // Every event of a command carries its timestamp, and every command has at least one event.
            if (!events.IsEmpty) _timestamp = events[0].Timestamp;
            _sequence = sequence;
            var before = Feed.Log.Count;
            foreach (ref readonly var e in events) Route(in e);
            _taker = 0;
            _replacing = 0;
            if (Feed.Log.Count != before) Feed.NotifyReaders(wakes);
        }
    }

    /// <summary>
    /// A snapshot, from a book query's answer (output thread), at this point of the order log: per instrument every
    /// resting order in priority order (bids best first, then asks), its mark, and a Trading Status "halted" when its
    /// circuit breaker halts it; then the insurance fund and End of Snapshot naming the order-log sequence number that
    /// continues it. Stamped, like the log's messages, with the last state-changing command. Written into a stream of
    /// its own, numbered from 1, that only the requesting connection reads. Allocates (the stream's log), once per
    /// snapshot request.
    /// </summary>
    public UserStream Snapshot(ReadOnlySpan<Event> answer)
    {
        // In memory only, and whole: it is as long as the book and read once, by the connection that asked.
        var stream = new UserStream(MarketDataUser.Instance, new MessageLog(RetentionWindow.Unbounded));
        var log = stream.Log;
        // This thread is the order log's only writer: its count is exact here, between two commands.
        var next = Feed.Log.Count + 1;
        foreach (ref readonly var e in answer)
        {
            switch (e.Type)
            {
                case EventType.OrderRested:
                    log.Commit(Add(log.Reserve(MarketDataFormat.AddOrderLength), _timestamp, _sequence, e.InstrumentId, e.OrderId,
                        (byte)e.Side, e.Price, e.Quantity));
                    break;
                case EventType.MarkPrice:
                    log.Commit(InstrumentValue(log.Reserve(MarketDataFormat.MarkPriceLength), MarketDataFormat.MarkPrice, _timestamp,
                        _sequence, e.InstrumentId, e.Price));
                    break;
                case EventType.TradingHalted:
                    log.Commit(TradingStatus(log.Reserve(MarketDataFormat.TradingStatusLength), _timestamp, _sequence, e.InstrumentId,
                        Outbound.Halted, e.Price, e.Amount));
                    break;
                case EventType.InsuranceFund:
                    log.Commit(Value(log.Reserve(MarketDataFormat.InsuranceFundLength), MarketDataFormat.InsuranceFund, _timestamp,
                        _sequence, e.Amount));
                    break;
            }
        }
        log.Commit(Value(log.Reserve(MarketDataFormat.EndOfSnapshotLength), MarketDataFormat.EndOfSnapshot, _timestamp, _sequence, next));
        log.Flush();
        return stream;
    }

    private void Route(in Event e)
    {
        switch (e.Type)
        {
            case EventType.OrderRested:
                // Its matching is over: a later cancel of it in this command (a liquidation's) deletes a resting order.
                if (e.OrderId == _taker) _taker = 0;
                if (_replacing != 0 && e.OrderId == _replacing)
                {
                    _replacing = 0;
                    Commit(Replace(Reserve(MarketDataFormat.OrderReplaceLength), _timestamp, _sequence, e.InstrumentId, e.OrderId,
                        e.Price, e.Quantity));
                }
                else
                {
                    Commit(Add(Reserve(MarketDataFormat.AddOrderLength), _timestamp, _sequence, e.InstrumentId, e.OrderId,
                        (byte)e.Side, e.Price, e.Quantity));
                }
                break;
            case EventType.OrderAmended:
                if ((e.Flags & EventFlags.PriorityKept) == 0)
                {
                    // It keeps its old place in the published book until it rests again: nothing trades against its own side.
                    _replacing = e.OrderId;
                    _replacingLeft = e.Quantity;
                    _replacingInstrument = e.InstrumentId;
                }
                else if (e.LotsReduced > 0)
                {
                    Commit(Cancel(Reserve(MarketDataFormat.OrderCancelLength), _timestamp, _sequence, e.InstrumentId, e.OrderId,
                        e.LotsReduced));
                }
                break;
            case EventType.Trade:
                var liquidation = (e.Flags & EventFlags.Liquidation) != 0;
                Commit(Executed(Reserve(MarketDataFormat.OrderExecutedLength), _timestamp, _sequence, e.InstrumentId, e.MakerOrderId,
                    e.TradeId, e.Price, e.Quantity, (byte)(e.Side == Side.Buy ? Side.Sell : Side.Buy),
                    liquidation ? MarketDataFormat.LiquidationFlag : (byte)0));
                if (!liquidation && _replacing != 0 && e.OrderId == _replacing && (_replacingLeft -= e.Quantity) == 0)
                    Replaced(MarketDataFormat.ReplacedNotResting);
                break;
            case EventType.OrderCancelled:
                // A new order's unfilled remainder never rested; a replacing amend's leaves its old place.
                if (_replacing != 0 && e.OrderId == _replacing) Replaced((byte)e.CancelReason);
                else if (e.OrderId == _taker) _taker = 0;
                else
                    Commit(Delete(Reserve(MarketDataFormat.OrderDeleteLength), _timestamp, _sequence, e.InstrumentId, e.OrderId,
                        (byte)e.CancelReason));
                break;
            case EventType.OrderAccepted:
                _taker = e.OrderId;
                break;
            case EventType.MarkPrice:
                Commit(InstrumentValue(Reserve(MarketDataFormat.MarkPriceLength), MarketDataFormat.MarkPrice, _timestamp, _sequence,
                    e.InstrumentId, e.Price));
                break;
            case EventType.FundingDust:
                // Once per funding command, with the command's rate.
                Commit(InstrumentValue(Reserve(MarketDataFormat.FundingLength), MarketDataFormat.Funding, _timestamp, _sequence,
                    e.InstrumentId, e.FundingRate));
                break;
            case EventType.AdlClosure:
                Commit(Adl(Reserve(MarketDataFormat.AutoDeleverageLength), _timestamp, _sequence, e.InstrumentId, (byte)e.Side, e.Price,
                    e.Quantity));
                break;
            case EventType.TradingHalted:
            case EventType.TradingResumed:
                Commit(TradingStatus(Reserve(MarketDataFormat.TradingStatusLength), _timestamp, _sequence, e.InstrumentId,
                    TradingStatusOf(in e), e.Price, e.Type == EventType.TradingHalted ? e.Amount : 0));
                break;
            case EventType.InsuranceFund:
                Commit(Value(Reserve(MarketDataFormat.InsuranceFundLength), MarketDataFormat.InsuranceFund, _timestamp, _sequence, e.Amount));
                break;
        }
    }

    /// <summary>The replacing amend leaves the book without resting again.</summary>
    private void Replaced(byte reason)
    {
        Commit(Delete(Reserve(MarketDataFormat.OrderDeleteLength), _timestamp, _sequence, _replacingInstrument, _replacing, reason));
        _replacing = 0;
    }

    private Span<byte> Reserve(int length) => Feed.Log.Reserve(length);

    private void Commit(int length) => Feed.Log.Commit(length);
}
