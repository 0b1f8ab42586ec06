using Exchange.Core.Accounts;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Instruments;
using Exchange.Core.Risk;
using static Exchange.Core.Instruments.FixedPoint;

namespace Exchange.Core.Book;

/// <summary>
/// Client order commands: new orders, amends, cancels (RULEBOOK section 6). Checks run in a fixed order, and the
/// first failing one is the reject code: account, instrument, quantity, price, TIF and flags, mark, band, duplicate
/// client id, reduce-only clip, open-order limit, position limit, post-only, margin, FOK.
/// </summary>
internal sealed class OrderEntry
{
    private readonly AccountStore _accounts;
    private readonly InstrumentTable _instruments;
    private readonly OrderStore _orders;
    private readonly MarginCalculator _margin;
    private readonly Matcher _matcher;
    private readonly EventBuffer _events;
    private readonly int _maxOpenOrders;
    private long _lastOrderId;

    public OrderEntry(AccountStore accounts, InstrumentTable instruments, OrderStore orders, MarginCalculator margin,
        Matcher matcher, EventBuffer events, int maxOpenOrders)
    {
        _accounts = accounts;
        _instruments = instruments;
        _orders = orders;
        _margin = margin;
        _matcher = matcher;
        _events = events;
        _maxOpenOrders = maxOpenOrders;
    }

    public long LastOrderId { get => _lastOrderId; set => _lastOrderId = value; }

    public void NewOrder(in Command c)
    {
        // A new order that trades reads the best opposite order (its maker) first: fetched before the checks, while the
        // account's lines Exchange.Apply asked for arrive (here rather than in Apply, whose code every move runs); only
        // when the order reaches it.
        _matcher.PrefetchBest(c.InstrumentId, c.Side, c.OrderType, c.Price);
        var code = CheckNew(in c, out var limit, out var lots, out var tif);
        if (code != RejectCode.None)
        {
            Reject(in c, code);
            return;
        }
        var ins = _instruments[c.InstrumentId];
        var id = ++_lastOrderId;
        ref var e = ref _events.Add(EventType.OrderAccepted);
        e.AccountId = c.AccountId;
        e.InstrumentId = c.InstrumentId;
        e.OrderId = id;
        e.ClientOrderId = c.ClientOrderId;
        e.Side = c.Side;
        e.Price = limit;
        e.Quantity = lots;
        e.OrderType = c.OrderType;
        e.TimeInForce = tif;
        e.OrderFlags = c.Flags;
        e.Stp = c.Stp;

        var rest = _matcher.MatchTaker(c.AccountId, ins, c.Side, limit, lots, id, c.ClientOrderId, c.Stp, out var selfTradeStop);
        if (rest == 0) return;
        if (selfTradeStop || tif != TimeInForce.Gtc)
        {
            CancelledRemainder(c.AccountId, ins.Id, id, c.ClientOrderId, c.Side, limit, rest,
                selfTradeStop ? CancelReason.SelfTrade : CancelReason.IocRemainder);
            return;
        }
        var h = _matcher.Rest(c.AccountId, ins, c.Side, limit, rest, id, c.ClientOrderId, c.Stp, (c.Flags & OrderFlags.PostOnly) != 0);
        OrderEvent(EventType.OrderRested, h);
    }

    private RejectCode CheckNew(in Command c, out long limit, out long lots, out TimeInForce tif)
    {
        limit = c.Price;
        lots = c.Quantity;
        tif = c.OrderType == OrderType.Market ? (c.TimeInForce == TimeInForce.Fok ? TimeInForce.Fok : TimeInForce.Ioc) : c.TimeInForce;
        if (!_accounts.Exists(c.AccountId)) return RejectCode.UnknownAccount;
        if (!_instruments.Exists(c.InstrumentId)) return RejectCode.UnknownInstrument;
        var ins = _instruments[c.InstrumentId];
        var spec = ins.Spec;
        if (lots <= 0 || lots > spec.MaxOrderLots) return RejectCode.InvalidQuantity;
        if (c.OrderType == OrderType.Limit && (limit <= 0 || limit > spec.MaxPrice)) return RejectCode.InvalidPrice;
        if (c.Side > Side.Sell || c.OrderType > OrderType.Market || c.TimeInForce > TimeInForce.Fok ||
            c.Stp > SelfTradePrevention.CancelBoth) return RejectCode.Malformed;
        var postOnly = (c.Flags & OrderFlags.PostOnly) != 0;
        var reduceOnly = (c.Flags & OrderFlags.ReduceOnly) != 0;
        if (postOnly && (tif != TimeInForce.Gtc || c.OrderType != OrderType.Limit)) return RejectCode.InvalidTimeInForce;
        if (reduceOnly && tif == TimeInForce.Gtc) return RejectCode.ReduceOnlyInvalid;
        if (!ins.HasMark) return RejectCode.NoMarkPrice;
        var high = BandHigh(ins.Mark, spec.BandPpm);
        var low = BandLow(ins.Mark, spec.BandPpm);
        if (c.OrderType == OrderType.Market) limit = c.Side == Side.Buy ? high : low;
        else if (limit > high || limit < low) return RejectCode.PriceOutOfBand;
        if (_orders.ClientIdInUse(c.AccountId, c.ClientOrderId)) return RejectCode.DuplicateClientOrderId;
        ref var p = ref _accounts.Position(c.AccountId, c.InstrumentId);
        if (reduceOnly)
        {
            var reducible = c.Side == Side.Buy ? Math.Max(0, -p.Qty) : Math.Max(0, p.Qty);
            if (reducible == 0) return RejectCode.ReduceOnlyInvalid;
            lots = Math.Min(lots, reducible);
        }
        if (tif == TimeInForce.Gtc && _accounts.OrderCount(c.AccountId) >= _maxOpenOrders) return RejectCode.TooManyOpenOrders;
        return CheckRisk(c.AccountId, ins, c.Side, limit, lots, postOnly, tif, c.Stp, excludeHandle: -1);
    }

    /// <summary>Position limit, post-only, margin and FOK: the checks a new order and a replacing amend share.</summary>
    private RejectCode CheckRisk(int account, Instrument ins, Side side, long limit, long lots, bool postOnly,
        TimeInForce tif, SelfTradePrevention stp, int excludeHandle)
    {
        ref var p = ref _accounts.Position(account, ins.Id);
        long b = p.BuyLots, s = p.SellLots;
        if (excludeHandle >= 0)
        {
            ref var ex = ref _orders[excludeHandle];
            if (ex.Side == Side.Buy) b -= ex.Remaining; else s -= ex.Remaining;
        }
        var before = MarginCalculator.WorstLots(p.Qty, b, s);
        var after = side == Side.Buy ? MarginCalculator.WorstLots(p.Qty, b + lots, s) : MarginCalculator.WorstLots(p.Qty, b, s + lots);
        var increases = after > before;
        // A halted instrument takes only orders that cannot grow worst-case lots; cancels and liquidation go on.
        if (increases && ins.Breaker.Halted) return RejectCode.InstrumentHalted;
        if (increases && after > ins.Spec.MaxPositionLots) return RejectCode.PositionLimit;
        var opposite = ins.Book.Opposite(side);
        if (postOnly && !opposite.IsEmpty && opposite.Crosses(opposite.BestPrice, limit)) return RejectCode.PostOnlyWouldTrade;
        if (increases && _margin.FreeMargin(account, ins.Id, side, limit, lots, excludeHandle) < 0)
            return RejectCode.InsufficientMargin;
        if (tif == TimeInForce.Fok && _matcher.Fillable(account, ins, side, limit, lots, stp) < lots)
            return RejectCode.FokNotFillable;
        return RejectCode.None;
    }

    public void Cancel(in Command c)
    {
        var code = Find(in c, out var h);
        if (code != RejectCode.None) Reject(in c, code);
        else _matcher.Cancel(h, CancelReason.User);
    }

    public void CancelAll(in Command c)
    {
        if (!_accounts.Exists(c.AccountId)) Reject(in c, RejectCode.UnknownAccount);
        else if (c.InstrumentId != Command.AllInstruments && !_instruments.Exists(c.InstrumentId)) Reject(in c, RejectCode.UnknownInstrument);
        else
        {
            var cancelled = _matcher.CancelAll(c.AccountId, c.InstrumentId, CancelReason.User);
            // The summary names the scope as asked, so a consumer needs nothing but the events.
            ref var e = ref _events.Add(EventType.CancelAllDone);
            e.AccountId = c.AccountId;
            e.InstrumentId = c.InstrumentId;
            e.SetCancelledOrders(cancelled);
        }
    }

    /// <summary>
    /// A lower or equal quantity at the same price keeps priority; anything else replaces the order: it keeps its
    /// ids, is checked like a new order with the original excluded, and may trade at once. A rejected amend leaves
    /// the order as it was.
    /// </summary>
    public void Amend(in Command c)
    {
        var code = Find(in c, out var h);
        if (code != RejectCode.None)
        {
            Reject(in c, code);
            return;
        }
        ref var o = ref _orders[h];
        var ins = _instruments[o.InstrumentId];
        var price = c.Price == 0 ? o.Price : c.Price;
        var lots = c.Quantity == 0 ? o.Remaining : c.Quantity;
        if (lots < 0 || lots > ins.Spec.MaxOrderLots) code = RejectCode.InvalidQuantity;
        else if (price < 0 || price > ins.Spec.MaxPrice) code = RejectCode.InvalidPrice;
        if (code == RejectCode.None && price == o.Price && lots <= o.Remaining)
        {
            var reduced = o.Remaining - lots;
            if (reduced > 0) _matcher.Shrink(h, lots);
            ref var kept = ref OrderEvent(EventType.OrderAmended, h);
            kept.Flags = EventFlags.PriorityKept;
            kept.Amount = reduced;
            return;
        }
        if (code == RejectCode.None && (price > BandHigh(ins.Mark, ins.Spec.BandPpm) || price < BandLow(ins.Mark, ins.Spec.BandPpm)))
            code = RejectCode.PriceOutOfBand;
        if (code == RejectCode.None)
            code = CheckRisk(o.AccountId, ins, o.Side, price, lots, o.PostOnly, TimeInForce.Gtc, o.Stp, h);
        if (code != RejectCode.None)
        {
            Reject(in c, code);
            return;
        }
        var opposite = ins.Book.Opposite(o.Side);
        if (opposite.IsEmpty || !opposite.Crosses(opposite.BestPrice, price))
        {
            // Nothing to trade against: the taker walk would return every lot, so rest at once.
            _matcher.Reprice(h, price, lots);
            OrderEvent(EventType.OrderAmended, h);
            OrderEvent(EventType.OrderRested, h);
            return;
        }
        _matcher.Unlink(h);
        o.Price = price;
        o.Remaining = lots;
        OrderEvent(EventType.OrderAmended, h);
        var rest = _matcher.MatchTaker(o.AccountId, ins, o.Side, price, lots, o.Id, o.ClientOrderId, o.Stp, out var selfTradeStop);
        o = ref _orders[h];
        o.Remaining = rest;
        if (rest > 0 && !selfTradeStop)
        {
            _matcher.Relink(h);
            OrderEvent(EventType.OrderRested, h);
            return;
        }
        if (rest > 0) CancelledRemainder(o.AccountId, ins.Id, o.Id, o.ClientOrderId, o.Side, price, rest, CancelReason.SelfTrade);
        _matcher.Discard(h);
    }

    private RejectCode Find(in Command c, out int handle)
    {
        handle = -1;
        if (!_accounts.Exists(c.AccountId)) return RejectCode.UnknownAccount;
        var found = c.OrderId != 0
            ? _orders.TryGetById(c.OrderId, out handle)
            : _orders.TryGetByClientId(c.AccountId, c.ClientOrderId, out handle);
        // Another account's order is reported as unknown: the core does not reveal that it exists.
        if (!found || _orders[handle].AccountId != c.AccountId) return RejectCode.UnknownOrder;
        return RejectCode.None;
    }

    /// <summary>An event naming a resting order as it is now (amended, or rested with its remaining lots).</summary>
    private ref Event OrderEvent(EventType type, int h)
    {
        return ref _events.AddOrderEvent(type, ref _orders[h]);
    }

    private void CancelledRemainder(int account, int instrument, long orderId, long clientOrderId, Side side, long price,
        long lots, CancelReason reason)
    {
        ref var e = ref _events.Add(EventType.OrderCancelled);
        e.AccountId = account;
        e.InstrumentId = instrument;
        e.OrderId = orderId;
        e.ClientOrderId = clientOrderId;
        e.Side = side;
        e.Price = price;
        e.Quantity = lots;
        e.CancelReason = reason;
    }

    public void Reject(in Command c, RejectCode code)
    {
        ref var e = ref _events.Add(EventType.Rejected);
        e.AccountId = c.AccountId;
        e.InstrumentId = c.InstrumentId;
        e.OrderId = c.OrderId;
        e.ClientOrderId = c.ClientOrderId;
        e.Reason = code;
    }
}
