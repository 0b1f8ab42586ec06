using Exchange.Core.Accounts;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Instruments;
using Exchange.Core.Risk;
using static Exchange.Core.Instruments.FixedPoint;

namespace Exchange.Core.Book;

/// <summary>
/// Price-time matching and settlement of fills: fees (RULEBOOK section 4), positions (section 3), resting and
/// cancelling orders with their account bookkeeping. Shared by client orders and liquidation orders.
/// </summary>
internal sealed class Matcher
{
    private readonly AccountStore _accounts;
    private readonly OrderStore _orders;
    private readonly Ledgers _ledgers;
    private readonly EventBuffer _events;
    private readonly LiquidationIndex _index;
    private readonly AccountReports _reports;
    private readonly InstrumentTable _instruments;
    private long _lastTradeId;

    public Matcher(AccountStore accounts, OrderStore orders, InstrumentTable instruments, Ledgers ledgers, EventBuffer events,
        LiquidationIndex index, AccountReports reports)
    {
        _reports = reports;
        _instruments = instruments;
        _accounts = accounts;
        _orders = orders;
        _ledgers = ledgers;
        _events = events;
        _index = index;
    }

    public long LastTradeId { get => _lastTradeId; set => _lastTradeId = value; }

    /// <summary>
    /// Matches a client taker against the opposite side up to <paramref name="limit"/>, applying self-trade
    /// prevention. Returns the unfilled lots; <paramref name="selfTradeStop"/> is set when STP cancelled the taker.
    /// </summary>
    public long MatchTaker(int account, Instrument ins, Side side, long limit, long lots, long orderId, long clientOrderId,
        SelfTradePrevention stp, out bool selfTradeStop)
    {
        selfTradeStop = false;
        var book = ins.Book.Opposite(side);
        while (lots > 0 && !book.IsEmpty && book.Crosses(book.BestPrice, limit))
        {
            var maker = book.BestHandle;
            ref var m = ref _orders[maker];
            if (m.AccountId == account)
            {
                if (stp != SelfTradePrevention.CancelTaker) Cancel(maker, CancelReason.SelfTrade);
                if (stp == SelfTradePrevention.CancelMaker) continue;
                selfTradeStop = true;
                break;
            }
            var k = Math.Min(lots, m.Remaining);
            Fill(account, ins, side, maker, k, orderId, clientOrderId, liquidation: false);
            lots -= k;
        }
        return lots;
    }

    /// <summary>
    /// Prefetches the order a new order on <paramref name="side"/> would meet first (the oldest at the opposite side's
    /// best price), when the instrument exists, that side is not empty and the order would reach it (a market order, or
    /// a limit the best price crosses): an IOC's maker is a random order whose line the checks before the match would
    /// otherwise wait for at the match's first read (its account). A GTC that rests without trading (most of them) issues
    /// no prefetch it would not use. Only a hint: whether it is issued changes nothing but timing.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void PrefetchBest(int instrument, Side side, OrderType type, long limit)
    {
        if (!_instruments.Exists(instrument)) return;
        var book = _instruments[instrument].Book.Opposite(side);
        if (book.IsEmpty || (type != OrderType.Market && !book.Crosses(book.BestPrice, limit))) return;
        _orders.Prefetch(book.BestHandle);
    }

    /// <summary>
    /// Lots a taker could fill at once, counting self-trade prevention as it would apply (for FOK): an own order
    /// stops the walk under cancel-taker and cancel-both, and is skipped under cancel-maker.
    /// </summary>
    public long Fillable(int account, Instrument ins, Side side, long limit, long lots, SelfTradePrevention stp)
    {
        var book = ins.Book.Opposite(side);
        long total = 0;
        for (var level = book.FirstLevel(); level != -1 && total < lots; level = book.NextLevel(level))
        {
            if (!book.Crosses(book.PriceAt(level), limit)) break;
            for (var h = book.HeadAt(level); h >= 0 && total < lots; h = _orders[h].Next)
            {
                ref var m = ref _orders[h];
                if (m.AccountId == account)
                {
                    if (stp == SelfTradePrevention.CancelMaker) continue;
                    return total;
                }
                total += m.Remaining;
            }
        }
        return total;
    }

    /// <summary>
    /// One fill of <paramref name="lots"/> between a taker and the resting order <paramref name="maker"/> at the
    /// maker's price. A liquidation taker pays no fee and its maker gets no rebate. Returns the quote V.
    /// </summary>
    public long Fill(int taker, Instrument ins, Side side, int maker, long lots, long takerOrderId, long takerClientOrderId,
        bool liquidation)
    {
        ref var m = ref _orders[maker];
        var makerAccount = m.AccountId;
        // The maker is a random account, cold in cache: its lines are fetched while the taker's side is settled, and
        // the lines both accounts' re-evaluation and reports read after the command are fetched with them.
        _accounts.Prefetch(makerAccount, ins.Id);
        _index.Prefetch(makerAccount);
        _index.Prefetch(taker);
        _reports.Prefetch(makerAccount);
        _reports.Prefetch(taker);
        var quote = Quote(lots, m.Price, ins.TickValue);
        var spec = ins.Spec;
        var takerFee = liquidation ? 0 : CeilPpm(quote, spec.TakerFeePpm);
        long makerFee = spec.MakerFeePpm >= 0 ? CeilPpm(quote, spec.MakerFeePpm)
            : liquidation ? 0 : -FloorPpm(quote, -spec.MakerFeePpm);
        _ledgers.Fees += takerFee + makerFee;
        var signed = side == Side.Buy ? lots : -lots;
        _accounts.Balance(taker) -= takerFee;
        _accounts.ApplyFill(taker, ins.Id, signed, quote);
        _accounts.Balance(makerAccount) -= makerFee;
        _accounts.ApplyMakerFill(makerAccount, ins.Id, m.Side, m.Price, lots, -signed, quote);

        ref var e = ref _events.Add(EventType.Trade);
        e.AccountId = taker;
        e.CounterpartyId = makerAccount;
        e.InstrumentId = ins.Id;
        e.OrderId = takerOrderId;
        e.ClientOrderId = takerClientOrderId;
        e.MakerOrderId = m.Id;
        e.MakerClientOrderId = m.ClientOrderId;
        e.Side = side;
        e.Price = m.Price;
        e.Quantity = lots;
        e.Quote = quote;
        e.Amount = takerFee;
        e.Amount2 = makerFee;
        e.TradeId = ++_lastTradeId;
        e.Flags = liquidation ? EventFlags.Liquidation : EventFlags.None;

        ReduceResting(maker, lots);
        if (liquidation)
        {
            _index.MarkDirty(taker);
            _index.MarkDirty(makerAccount);
        }
        else
        {
            // The fill's last change to either account: a well-funded one with nothing watched is not re-evaluated.
            _index.Filled(taker, makerAccount);
        }
        return quote;
    }

    /// <summary>Puts a new order on the book and the account's list. Returns its handle.</summary>
    public int Rest(int account, Instrument ins, Side side, long price, long lots, long orderId, long clientOrderId,
        SelfTradePrevention stp, bool postOnly)
    {
        var h = _orders.Allocate();
        ref var o = ref _orders[h];
        o.Id = orderId;
        o.ClientOrderId = clientOrderId;
        o.AccountId = account;
        o.InstrumentId = ins.Id;
        o.Side = side;
        o.Price = price;
        o.Remaining = lots;
        o.Stp = stp;
        o.PostOnly = postOnly;
        _orders.Register(h);
        LinkAccount(h);
        Relink(h);
        return h;
    }

    /// <summary>Registers a restored order (fields set) and appends it to its account's list, off the book.</summary>
    public void Adopt(int handle)
    {
        _orders.Register(handle);
        LinkAccount(handle);
    }

    /// <summary>Puts an order that is already in its account's list back on the book (after a replacing amend).</summary>
    public void Relink(int handle)
    {
        ref var o = ref _orders[handle];
        _accounts.AddOrderLots(o.AccountId, o.InstrumentId, o.Side, o.Price, o.Remaining);
        BookOf(handle).Add(handle);
    }

    /// <summary>
    /// A replacing amend that cannot trade (the new price does not cross the opposite side): the order goes to the
    /// back of its new level with <paramref name="lots"/>. The same state as <see cref="Unlink"/>, a new price and
    /// quantity, then <see cref="Relink"/>, with one move in the book instead of a removal and an insertion.
    /// </summary>
    public void Reprice(int handle, long price, long lots)
    {
        ref var o = ref _orders[handle];
        _accounts.MoveOrderLots(o.AccountId, o.InstrumentId, o.Side, o.Price, o.Remaining, price, lots);
        BookOf(handle).Move(handle, price, lots);
    }

    /// <summary>Takes an order off the book but keeps it in its account's list (start of a replacing amend).</summary>
    public void Unlink(int handle)
    {
        ref var o = ref _orders[handle];
        BookOf(handle).Remove(handle);
        _accounts.RemoveOrderLots(o.AccountId, o.InstrumentId, o.Side, o.Price, o.Remaining);
    }

    /// <summary>Cancels a resting order with an event.</summary>
    public void Cancel(int handle, CancelReason reason)
    {
        ref var e = ref _events.AddOrderEvent(EventType.OrderCancelled, ref _orders[handle]);
        e.CancelReason = reason;
        Unlink(handle);
        Discard(handle);
    }

    /// <summary>Removes an order that is off the book from its account's list and frees it.</summary>
    public void Discard(int handle)
    {
        UnlinkAccount(handle);
        _orders.Release(handle);
    }

    /// <summary>Cancels all of an account's orders, optionally in one instrument, oldest first; returns how many.</summary>
    public int CancelAll(int account, int instrument, CancelReason reason)
    {
        var cancelled = 0;
        var h = _accounts.OrderHead(account);
        while (h >= 0)
        {
            var next = _orders[h].AccountNext;
            if (instrument < 0 || _orders[h].InstrumentId == instrument)
            {
                Cancel(h, reason);
                cancelled++;
            }
            h = next;
        }
        return cancelled;
    }

    private BookSide BookOf(int handle)
    {
        ref var o = ref _orders[handle];
        return _instruments[o.InstrumentId].Book.Own(o.Side);
    }

    /// <summary>The book's side of a maker's fill (its account's side, the lots leaving B or S, is
    /// <see cref="AccountStore.ApplyMakerFill"/>): the order shrinks, or leaves the book and is freed when filled.</summary>
    private void ReduceResting(int maker, long lots)
    {
        ref var m = ref _orders[maker];
        if (m.Remaining == lots)
        {
            BookOf(maker).Remove(maker);
            Discard(maker);
            return;
        }
        BookOf(maker).Reduce(maker, lots);
    }

    /// <summary>A priority-keeping amend: the order shrinks in place.</summary>
    public void Shrink(int handle, long newRemaining)
    {
        ref var o = ref _orders[handle];
        var delta = o.Remaining - newRemaining;
        BookOf(handle).Reduce(handle, delta);
        _accounts.RemoveOrderLots(o.AccountId, o.InstrumentId, o.Side, o.Price, delta);
    }

    private void LinkAccount(int h)
    {
        ref var o = ref _orders[h];
        var a = o.AccountId;
        o.AccountNext = -1;
        o.AccountPrev = _accounts.OrderTail(a);
        if (o.AccountPrev >= 0) _orders[o.AccountPrev].AccountNext = h; else _accounts.OrderHead(a) = h;
        _accounts.OrderTail(a) = h;
        _accounts.OrderCount(a)++;
    }

    private void UnlinkAccount(int h)
    {
        ref var o = ref _orders[h];
        var a = o.AccountId;
        if (o.AccountPrev >= 0) _orders[o.AccountPrev].AccountNext = o.AccountNext; else _accounts.OrderHead(a) = o.AccountNext;
        if (o.AccountNext >= 0) _orders[o.AccountNext].AccountPrev = o.AccountPrev; else _accounts.OrderTail(a) = o.AccountPrev;
        _accounts.OrderCount(a)--;
    }
}
