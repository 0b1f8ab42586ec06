using Exchange.Client.Protocol;

namespace Exchange.Client;

/// <summary>
/// Rebuilds every instrument's book from a market-data snapshot and the order log that follows it
/// (docs/protocol.md section 12): order by order, so it can give both L2 levels and the resting orders in priority
/// order, plus best bid/offer, the trade tape, marks, halts and the insurance fund. Not thread-safe: feed it from one reader.
/// </summary>
public sealed class BookBuilder
{
    private readonly Dictionary<long, Order> _orders = new();
    private readonly Dictionary<int, long> _marks = new();
    private readonly HashSet<int> _halted = [];
    private readonly List<MarketDataMessage> _trades = [];
    private long _arrival;

    /// <summary>The sequence number of the next order-log message expected (known once the snapshot ended or replay began).</summary>
    public long NextSequence { get; private set; }

    /// <summary>The last command sequence applied.</summary>
    public long CommandSequence { get; private set; }

    public long InsuranceFund { get; private set; }

    /// <summary>Fills in order (Order Executed and Trade messages), oldest first.</summary>
    public IReadOnlyList<MarketDataMessage> Trades => _trades;

    public long Mark(int instrument) => _marks.GetValueOrDefault(instrument);

    /// <summary>Whether the instrument's circuit breaker halts it (from the snapshot, then Trading Status messages).</summary>
    public bool IsHalted(int instrument) => _halted.Contains(instrument);

    /// <summary>
    /// Applies one message. Order-log messages must arrive without a gap (throws <see cref="InvalidOperationException"/>
    /// otherwise: a gap means a bug, since the session layer has none); a late joiner's snapshot (messages with
    /// <see cref="MarketDataMessage.InSnapshot"/>, ending with End of Snapshot) comes first.
    /// </summary>
    public void Apply(MarketDataMessage m)
    {
        if (!m.InSnapshot)
        {
            if (NextSequence != 0 && m.Sequence != NextSequence)
                throw new InvalidOperationException($"order log message {m.Sequence} where {NextSequence} was expected");
            NextSequence = m.Sequence + 1;
        }
        CommandSequence = Math.Max(CommandSequence, m.CommandSequence);
        switch ((byte)m.Type)
        {
            case MarketDataFormat.AddOrder:
                _orders[m.OrderId] = new Order(m.Instrument, m.Side, m.Price, m.Quantity, ++_arrival);
                break;
            case MarketDataFormat.OrderExecuted:
                _trades.Add(m);
                Reduce(m.OrderId, m.Quantity);
                break;
            case MarketDataFormat.OrderCancel:
                Reduce(m.OrderId, m.Quantity);
                break;
            case MarketDataFormat.OrderDelete:
                _orders.Remove(m.OrderId);
                break;
            case MarketDataFormat.OrderReplace:
                if (_orders.TryGetValue(m.OrderId, out var o))
                    _orders[m.OrderId] = o with { Price = m.Price, Quantity = m.Quantity, Arrival = ++_arrival };
                break;
            case MarketDataFormat.Trade:
                _trades.Add(m);
                break;
            case MarketDataFormat.MarkPrice:
                _marks[m.Instrument] = m.Value;
                break;
            case MarketDataFormat.InsuranceFund:
                InsuranceFund = m.Value;
                break;
            case MarketDataFormat.TradingStatus:
                if (m.Reason == Outbound.Halted) _halted.Add(m.Instrument);
                else _halted.Remove(m.Instrument);
                break;
            case MarketDataFormat.EndOfSnapshot:
                NextSequence = m.Value;
                break;
        }
    }

    /// <summary>Price levels of one side, best first: (price, total lots).</summary>
    public List<(long Price, long Lots)> Levels(int instrument, byte side)
    {
        var totals = new SortedDictionary<long, long>();
        foreach (var o in _orders.Values)
            if (o.Instrument == instrument && o.Side == side)
                totals[o.Price] = totals.GetValueOrDefault(o.Price) + o.Quantity;
        var list = new List<(long, long)>(totals.Count);
        foreach (var (price, lots) in totals) list.Add((price, lots));
        if (side == 0) list.Reverse();
        return list;
    }

    /// <summary>Resting orders of one side in priority order: (order id, price, lots).</summary>
    public List<(long OrderId, long Price, long Lots)> Orders(int instrument, byte side)
    {
        var list = new List<(long OrderId, long Price, long Lots, long Arrival)>();
        foreach (var (id, o) in _orders)
            if (o.Instrument == instrument && o.Side == side) list.Add((id, o.Price, o.Quantity, o.Arrival));
        list.Sort((a, b) => a.Price != b.Price ? (side == 0 ? b.Price.CompareTo(a.Price) : a.Price.CompareTo(b.Price))
            : a.Arrival.CompareTo(b.Arrival));
        return list.ConvertAll(x => (x.OrderId, x.Price, x.Lots));
    }

    /// <summary>Best bid and offer: (price, lots), or null for an empty side.</summary>
    public ((long Price, long Lots)? Bid, (long Price, long Lots)? Ask) BestBidOffer(int instrument)
    {
        var bids = Levels(instrument, 0);
        var asks = Levels(instrument, 1);
        return (bids.Count > 0 ? bids[0] : null, asks.Count > 0 ? asks[0] : null);
    }

    private void Reduce(long orderId, long quantity)
    {
        if (!_orders.TryGetValue(orderId, out var o)) return;
        if (o.Quantity <= quantity) _orders.Remove(orderId);
        else _orders[orderId] = o with { Quantity = o.Quantity - quantity };
    }

    private readonly record struct Order(int Instrument, byte Side, long Price, long Quantity, long Arrival);
}
