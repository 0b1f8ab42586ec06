using System.Numerics;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using static Exchange.Testing.Exact;

namespace Exchange.Testing;

public sealed partial class ReferenceExchange
{
    private static long BandHigh(long mark, long ppm) => ToLong(Floor((BigInteger)mark * (Million + ppm), Million));
    private static long BandLow(long mark, long ppm) => ToLong(Ceil((BigInteger)mark * (Million - ppm), Million));

    private bool InstrumentExists(int id) => id >= 0 && id < _instruments.Count;

    // ---- New orders: the checks in the order of docs/rulebook-notes.md, then matching ----

    private void NewOrder(Command c)
    {
        var code = CheckNewOrder(c, out var limit, out var lots, out var tif);
        if (code != RejectCode.None) { Reject(code); return; }
        var id = ++LastOrderId;
        var accepted = NewEvent(EventType.OrderAccepted);
        accepted.AccountId = c.AccountId;
        accepted.InstrumentId = c.InstrumentId;
        accepted.OrderId = id;
        accepted.ClientOrderId = c.ClientOrderId;
        accepted.Side = c.Side;
        accepted.Price = limit;
        accepted.Quantity = lots;
        accepted.OrderType = c.OrderType;
        accepted.TimeInForce = tif;
        accepted.OrderFlags = c.Flags;
        accepted.Stp = c.Stp;
        Emit(accepted);

        var rest = MatchTaker(c.AccountId, c.InstrumentId, c.Side, limit, lots, id, c.ClientOrderId, c.Stp, out var stpStop);
        if (rest == 0) return;
        if (stpStop || tif != TimeInForce.Gtc)
        {
            TakerRemainderCancelled(c.AccountId, c.InstrumentId, id, c.ClientOrderId, c.Side, limit, rest,
                stpStop ? CancelReason.SelfTrade : CancelReason.IocRemainder);
            return;
        }
        var order = new RefOrder
        {
            Id = id, ClientOrderId = c.ClientOrderId, AccountId = c.AccountId, InstrumentId = c.InstrumentId, Side = c.Side,
            Stp = c.Stp, PostOnly = c.Flags.HasFlag(OrderFlags.PostOnly), Price = limit, Remaining = rest, Arrival = ++_arrivals,
        };
        _orders.Add(order);
        Emit(OrderEvent(EventType.OrderRested, order));
    }

    private RejectCode CheckNewOrder(Command c, out long limit, out long lots, out TimeInForce tif)
    {
        limit = c.Price;
        lots = c.Quantity;
        // A market order is IOC, or FOK when sent with FOK.
        tif = c.OrderType == OrderType.Market && c.TimeInForce != TimeInForce.Fok ? TimeInForce.Ioc : c.TimeInForce;
        if (!_accounts.ContainsKey(c.AccountId)) return RejectCode.UnknownAccount;
        if (!InstrumentExists(c.InstrumentId)) return RejectCode.UnknownInstrument;
        var ins = _instruments[c.InstrumentId];
        if (lots <= 0 || lots > ins.Spec.MaxOrderLots) return RejectCode.InvalidQuantity;
        if (c.OrderType == OrderType.Limit && (limit <= 0 || limit > ins.Spec.MaxPrice)) return RejectCode.InvalidPrice;
        if (!Enum.IsDefined(c.Side) || !Enum.IsDefined(c.OrderType) || !Enum.IsDefined(c.TimeInForce) || !Enum.IsDefined(c.Stp))
            return RejectCode.Malformed;
        var postOnly = c.Flags.HasFlag(OrderFlags.PostOnly);
        var reduceOnly = c.Flags.HasFlag(OrderFlags.ReduceOnly);
        if (postOnly && !(c.OrderType == OrderType.Limit && tif == TimeInForce.Gtc)) return RejectCode.InvalidTimeInForce;
        if (reduceOnly && tif == TimeInForce.Gtc) return RejectCode.ReduceOnlyInvalid;
        if (ins.Mark <= 0) return RejectCode.NoMarkPrice;
        var high = BandHigh(ins.Mark, ins.Spec.BandPpm);
        var low = BandLow(ins.Mark, ins.Spec.BandPpm);
        if (c.OrderType == OrderType.Market) limit = c.Side == Side.Buy ? high : low;
        else if (limit < low || limit > high) return RejectCode.PriceOutOfBand;
        if (c.ClientOrderId != 0 && _orders.Any(o => o.AccountId == c.AccountId && o.ClientOrderId == c.ClientOrderId))
            return RejectCode.DuplicateClientOrderId;
        if (reduceOnly)
        {
            var q = _accounts[c.AccountId].Position(c.InstrumentId).Qty;
            var reducible = c.Side == Side.Buy ? Max(0, -q) : Max(0, q);
            if (reducible == 0) return RejectCode.ReduceOnlyInvalid;
            lots = ToLong(Min(lots, reducible));
        }
        if (tif == TimeInForce.Gtc && _orders.Count(o => o.AccountId == c.AccountId) >= Options.MaxOpenOrdersPerAccount)
            return RejectCode.TooManyOpenOrders;
        return CheckRisk(c.AccountId, c.InstrumentId, c.Side, limit, lots, postOnly, tif, c.Stp, exclude: null);
    }

    /// <summary>Position limit, post-only, margin and FOK, with <paramref name="exclude"/> (an amended order) left out.</summary>
    private RejectCode CheckRisk(int account, int instrument, Side side, long limit, long lots, bool postOnly,
        TimeInForce tif, SelfTradePrevention stp, RefOrder? exclude)
    {
        var ins = _instruments[instrument];
        var extra = new ExtraOrder(instrument, side, limit, lots);
        var before = WorstLots(account, instrument, exclude, null);
        var after = WorstLots(account, instrument, exclude, extra);
        var grows = after > before;
        if (grows && ins.Halted) return RejectCode.InstrumentHalted;
        if (grows && after > ins.Spec.MaxPositionLots) return RejectCode.PositionLimit;
        if (postOnly && Book(instrument, Opposite(side)).FirstOrDefault() is { } best && Crosses(side, best.Price, limit))
            return RejectCode.PostOnlyWouldTrade;
        if (grows && FreeMargin(account, exclude, extra) < 0) return RejectCode.InsufficientMargin;
        if (tif == TimeInForce.Fok && Fillable(account, instrument, side, limit, stp) < lots) return RejectCode.FokNotFillable;
        return RejectCode.None;
    }

    private static Side Opposite(Side side) => side == Side.Buy ? Side.Sell : Side.Buy;

    /// <summary>Would a taker on <paramref name="takerSide"/> with this limit trade against a maker at this price?</summary>
    private static bool Crosses(Side takerSide, long makerPrice, long limit) =>
        takerSide == Side.Buy ? makerPrice <= limit : makerPrice >= limit;

    /// <summary>Lots a taker could fill now: an own order is skipped under cancel-maker and ends the walk otherwise.</summary>
    private BigInteger Fillable(int account, int instrument, Side side, long limit, SelfTradePrevention stp)
    {
        BigInteger total = 0;
        foreach (var m in Book(instrument, Opposite(side)))
        {
            if (!Crosses(side, m.Price, limit)) break;
            if (m.AccountId == account)
            {
                if (stp == SelfTradePrevention.CancelMaker) continue;
                break;
            }
            total += m.Remaining;
        }
        return total;
    }

    /// <summary>Matches a client taker in price-time order with self-trade prevention; returns its unfilled lots.</summary>
    private long MatchTaker(int account, int instrument, Side side, long limit, long lots, long orderId, long clientOrderId,
        SelfTradePrevention stp, out bool stpStop)
    {
        stpStop = false;
        while (lots > 0)
        {
            var maker = Book(instrument, Opposite(side)).FirstOrDefault();
            if (maker is null || !Crosses(side, maker.Price, limit)) break;
            if (maker.AccountId == account)
            {
                if (stp == SelfTradePrevention.CancelTaker) { stpStop = true; break; }
                CancelResting(maker, CancelReason.SelfTrade);
                if (stp == SelfTradePrevention.CancelBoth) { stpStop = true; break; }
                continue;
            }
            var k = Math.Min(lots, maker.Remaining);
            Fill(account, instrument, side, maker, k, orderId, clientOrderId, liquidation: false);
            lots -= k;
        }
        return lots;
    }

    /// <summary>
    /// One fill at the maker's price: fees (a liquidation taker pays none and its maker gets no rebate), both
    /// positions, the trade event, and the maker's remaining quantity. Returns the quote V.
    /// </summary>
    private BigInteger Fill(int taker, int instrument, Side side, RefOrder maker, long lots, long takerOrderId,
        long takerClientOrderId, bool liquidation)
    {
        var spec = _instruments[instrument].Spec;
        BigInteger quote = (BigInteger)lots * maker.Price * spec.TickValue;
        var takerFee = liquidation ? BigInteger.Zero : Ceil(quote * spec.TakerFeePpm, Million);
        BigInteger makerFee = spec.MakerFeePpm >= 0 ? Ceil(quote * spec.MakerFeePpm, Million)
            : liquidation ? BigInteger.Zero : -Floor(quote * -spec.MakerFeePpm, Million);
        _accounts[taker].Balance -= takerFee;
        _accounts[maker.AccountId].Balance -= makerFee;
        Fees += takerFee + makerFee;
        BigInteger signed = side == Side.Buy ? lots : -lots;
        ApplyFill(taker, instrument, signed, quote);
        ApplyFill(maker.AccountId, instrument, -signed, quote);

        var e = NewEvent(EventType.Trade);
        e.AccountId = taker;
        e.CounterpartyId = maker.AccountId;
        e.InstrumentId = instrument;
        e.OrderId = takerOrderId;
        e.ClientOrderId = takerClientOrderId;
        e.MakerOrderId = maker.Id;
        e.MakerClientOrderId = maker.ClientOrderId;
        e.Side = side;
        e.Price = maker.Price;
        e.Quantity = lots;
        e.Quote = ToLong(quote);
        e.Amount = ToLong(takerFee);
        e.Amount2 = ToLong(makerFee);
        e.TradeId = ++LastTradeId;
        e.Flags = liquidation ? EventFlags.Liquidation : EventFlags.None;
        Emit(e);

        maker.Remaining -= lots;
        if (maker.Remaining == 0) _orders.Remove(maker);
        return quote;
    }

    /// <summary>
    /// RULEBOOK section 3: a fill of signed f lots with quote V. Adding: q += f, C += sign(f) V. Reducing k lots:
    /// removed = C k / |q| truncated, realized = sign(q) V_k - removed. A flip splits V as floor(V k / |f|).
    /// </summary>
    private void ApplyFill(int account, int instrument, BigInteger f, BigInteger quote)
    {
        var a = _accounts[account];
        var p = a.Position(instrument);
        if (p.Qty.IsZero || p.Qty.Sign == f.Sign)
        {
            p.Qty += f;
            p.Cost += f.Sign * quote;
            return;
        }
        var absF = BigInteger.Abs(f);
        var absQ = BigInteger.Abs(p.Qty);
        var k = Min(absF, absQ);
        var vk = absF > absQ ? Floor(quote * k, absF) : quote;
        var removed = Trunc(p.Cost * k, absQ);
        var qSign = p.Qty.Sign;
        a.Balance += qSign * vk - removed;
        p.Cost -= removed;
        p.Qty -= qSign * k;
        if (absF > absQ)
        {
            p.Qty += f.Sign * (absF - k);
            p.Cost += f.Sign * (quote - vk);
        }
    }

    private void CancelResting(RefOrder o, CancelReason reason)
    {
        _orders.Remove(o);
        TakerRemainderCancelled(o.AccountId, o.InstrumentId, o.Id, o.ClientOrderId, o.Side, o.Price, o.Remaining, reason);
    }

    private void TakerRemainderCancelled(int account, int instrument, long orderId, long clientOrderId, Side side, long price,
        long lots, CancelReason reason)
    {
        var e = NewEvent(EventType.OrderCancelled);
        e.AccountId = account;
        e.InstrumentId = instrument;
        e.OrderId = orderId;
        e.ClientOrderId = clientOrderId;
        e.Side = side;
        e.Price = price;
        e.Quantity = lots;
        e.CancelReason = reason;
        Emit(e);
    }

    /// <summary>Cancels an account's orders (optionally in one instrument), oldest first.</summary>
    private int CancelOrdersOf(int account, int? instrument, CancelReason reason)
    {
        var cancelled = 0;
        foreach (var o in OrdersOf(account))
        {
            if (instrument is not null && o.InstrumentId != instrument) continue;
            CancelResting(o, reason);
            cancelled++;
        }
        return cancelled;
    }

    // ---- Cancel, cancel-all, amend ----

    private RejectCode FindOrder(Command c, out RefOrder? order)
    {
        order = null;
        if (!_accounts.ContainsKey(c.AccountId)) return RejectCode.UnknownAccount;
        // By exchange id when given, else by client id; another account's order is unknown.
        order = c.OrderId != 0
            ? _orders.FirstOrDefault(o => o.Id == c.OrderId && o.AccountId == c.AccountId)
            : c.ClientOrderId == 0 ? null
            : _orders.FirstOrDefault(o => o.ClientOrderId == c.ClientOrderId && o.AccountId == c.AccountId);
        return order is null ? RejectCode.UnknownOrder : RejectCode.None;
    }

    private void Cancel(Command c)
    {
        var code = FindOrder(c, out var o);
        if (code != RejectCode.None) { Reject(code); return; }
        CancelResting(o!, CancelReason.User);
    }

    private void CancelAll(Command c)
    {
        if (!_accounts.ContainsKey(c.AccountId)) { Reject(RejectCode.UnknownAccount); return; }
        if (c.InstrumentId != Command.AllInstruments && !InstrumentExists(c.InstrumentId)) { Reject(RejectCode.UnknownInstrument); return; }
        var cancelled = CancelOrdersOf(c.AccountId, c.InstrumentId == Command.AllInstruments ? null : c.InstrumentId, CancelReason.User);
        var done = NewEvent(EventType.CancelAllDone);
        done.AccountId = c.AccountId;
        done.InstrumentId = c.InstrumentId;
        done.Amount = cancelled;
        Emit(done);
    }

    private void Amend(Command c)
    {
        var code = FindOrder(c, out var found);
        if (code != RejectCode.None) { Reject(code); return; }
        var o = found!;
        var spec = _instruments[o.InstrumentId].Spec;
        // 0 means unchanged.
        var price = c.Price == 0 ? o.Price : c.Price;
        var lots = c.Quantity == 0 ? o.Remaining : c.Quantity;
        if (lots <= 0 || lots > spec.MaxOrderLots) { Reject(RejectCode.InvalidQuantity); return; }
        if (price <= 0 || price > spec.MaxPrice) { Reject(RejectCode.InvalidPrice); return; }
        if (price == o.Price && lots <= o.Remaining)
        {
            var kept = OrderEvent(EventType.OrderAmended, o);
            kept.Quantity = lots;
            kept.Flags = EventFlags.PriorityKept;
            kept.Amount = o.Remaining - lots;
            o.Remaining = lots;
            Emit(kept);
            return;
        }
        var mark = _instruments[o.InstrumentId].Mark;
        if (price < BandLow(mark, spec.BandPpm) || price > BandHigh(mark, spec.BandPpm)) { Reject(RejectCode.PriceOutOfBand); return; }
        code = CheckRisk(o.AccountId, o.InstrumentId, o.Side, price, lots, o.PostOnly, TimeInForce.Gtc, o.Stp, exclude: o);
        if (code != RejectCode.None) { Reject(code); return; }

        // A replace: off the book while it trades as a GTC taker, back with new time priority for what is left.
        _orders.Remove(o);
        o.Price = price;
        o.Remaining = lots;
        Emit(OrderEvent(EventType.OrderAmended, o));
        var rest = MatchTaker(o.AccountId, o.InstrumentId, o.Side, price, lots, o.Id, o.ClientOrderId, o.Stp, out var stpStop);
        o.Remaining = rest;
        if (rest == 0) return;
        if (stpStop)
        {
            TakerRemainderCancelled(o.AccountId, o.InstrumentId, o.Id, o.ClientOrderId, o.Side, price, rest, CancelReason.SelfTrade);
            return;
        }
        o.Arrival = ++_arrivals;
        _orders.Add(o);
        Emit(OrderEvent(EventType.OrderRested, o));
    }

    /// <summary>An event naming an order as it is now.</summary>
    private Event OrderEvent(EventType type, RefOrder o)
    {
        var e = NewEvent(type);
        e.AccountId = o.AccountId;
        e.InstrumentId = o.InstrumentId;
        e.OrderId = o.Id;
        e.ClientOrderId = o.ClientOrderId;
        e.Side = o.Side;
        e.Price = o.Price;
        e.Quantity = o.Remaining;
        return e;
    }
}
