using System.Runtime.CompilerServices;
using Exchange.Core.Accounts;
using Exchange.Core.Book;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Instruments;
using Exchange.Core.Risk;
using static Exchange.Core.Instruments.FixedPoint;

namespace Exchange.Core.Liquidation;

/// <summary>
/// The liquidation loop of RULEBOOK section 7 and the waterfall of section 8: worst account first (lowest E/MM,
/// compared exactly in Int128), cancel its orders, close in the book at the liquidation band against bankruptcy
/// slices (fees to insurance, shortfalls from it), ADL the rest against the ranked queue, socialize what remains.
/// Cascades run inside the same command until no account is liquidatable.
/// </summary>
internal sealed class Liquidator
{
    private readonly AccountStore _accounts;
    private readonly InstrumentTable _instruments;
    private readonly MarginCalculator _margin;
    private readonly LiquidationIndex _index;
    private readonly Matcher _matcher;
    private readonly OrderStore _orders;
    private readonly AdlQueue _adl;
    private readonly Socializer _socializer;
    private readonly Ledgers _ledgers;
    private readonly EventBuffer _events;
    private readonly LossPolicy _policy;
    private readonly int[] _turns = new int[64];
    private readonly long[] _turnMm = new long[64];

    public Liquidator(AccountStore accounts, InstrumentTable instruments, MarginCalculator margin, LiquidationIndex index,
        Matcher matcher, OrderStore orders, AdlQueue adl, Socializer socializer, Ledgers ledgers, EventBuffer events,
        LossPolicy policy)
    {
        _accounts = accounts;
        _instruments = instruments;
        _margin = margin;
        _index = index;
        _matcher = matcher;
        _orders = orders;
        _adl = adl;
        _socializer = socializer;
        _ledgers = ledgers;
        _events = events;
        _policy = policy;
    }

    /// <summary>Liquidates until no account is liquidatable, worst (lowest E/MM) first.</summary>
    public void Run()
    {
        var candidates = _index.Candidates;
        _adl.BeginRun();
        while (true)
        {
            _index.Refresh();
            if (candidates.Count == 0) return;
            var worst = candidates.Top;
            Liquidate(worst, candidates.TopEquity, candidates.TopMaintenance);
            _index.Resolve(worst);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Liquidate(int a, long equity, long maintenance)
    {
        ref var start = ref _events.Add(EventType.LiquidationStarted);
        start.AccountId = a;
        start.Amount = equity;
        start.Amount2 = maintenance;

        // Step 1: cancel every open order.
        _matcher.CancelAll(a, Command.AllInstruments, CancelReason.Liquidation);
        if (!_margin.IsLiquidatable(a))
        {
            Ended(a, EventFlags.Cured);
            return;
        }

        // The order of the positions is fixed now: largest MM first, ties by instrument id.
        var turns = OrderTurns(a);
        var heldAtStart = _accounts.HeldMask(a);

        // Step 2: close in the book.
        for (var t = 0; t < turns; t++) CloseInBook(a, _instruments[_turns[t]]);

        // Step 3: ADL what the book did not take.
        var measured = false;
        if (_accounts.HasPosition(a))
        {
            if (_policy == LossPolicy.Socialize) _socializer.Measure(a, heldAtStart, scoreAdl: true);
            measured = true;
            for (var t = 0; t < turns; t++)
                if (_accounts.Position(a, _turns[t]).Qty != 0) Deleverage(a, _instruments[_turns[t]]);
        }

        // Step 4 (and the safety net of step 5 under either policy): cover a negative balance.
        var balance = _accounts.Balance(a);
        if (balance < 0)
        {
            var deficit = -balance - PayFromInsurance(a, -1, -balance);
            if (deficit > 0)
            {
                // Under adl nobody is haircut: what insurance cannot cover goes to the exchange. Under socialize
                // with nothing left for step 3, nothing moved since it would have started, so measuring now
                // gives the weights it would have measured.
                if (_policy != LossPolicy.Socialize) _socializer.Measure(a, 0, scoreAdl: false);
                else if (!measured) _socializer.Measure(a, heldAtStart, scoreAdl: false);
                _socializer.Charge(a, deficit);
            }
        }
        Ended(a, EventFlags.None);
    }

    private int OrderTurns(int a)
    {
        var n = 0;
        for (var mask = _accounts.HeldMask(a); mask != 0; mask &= mask - 1)
        {
            var i = System.Numerics.BitOperations.TrailingZeroCount(mask);
            var mm = _margin.PositionMaintenance(a, i);
            // Insertion sort: at most a few instruments; mask order gives ascending ids, so ties stay by id.
            var j = n++;
            while (j > 0 && _turnMm[j - 1] < mm)
            {
                _turns[j] = _turns[j - 1];
                _turnMm[j] = _turnMm[j - 1];
                j--;
            }
            _turns[j] = i;
            _turnMm[j] = mm;
        }
        return n;
    }

    /// <summary>The bankruptcy quote of a position now: the account's equity split pro rata to MM.</summary>
    private long BankruptcyQuote(int a, Instrument ins, long lots)
    {
        var tnc = (Int128)_margin.Equity(a);
        var tmm = _margin.Maintenance(a);
        var share = FloorDiv(tnc * _margin.PositionMaintenance(a, ins.Id), tmm);
        Int128 notional = (Int128)lots * ins.Mark * ins.TickValue;
        return (long)(_accounts.Position(a, ins.Id).Qty > 0 ? notional - share : notional + share);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void CloseInBook(int a, Instrument ins)
    {
        var q = _accounts.Position(a, ins.Id).Qty;
        var lots = Math.Abs(q);
        var isLong = q > 0;
        var side = isLong ? Side.Sell : Side.Buy;
        var limit = isLong ? BandLow(ins.Mark, ins.Spec.LiquidationBandPpm) : BandHigh(ins.Mark, ins.Spec.LiquidationBandPpm);
        var vb = BankruptcyQuote(a, ins, lots);
        var book = ins.Book.Opposite(side);
        long filled = 0;
        while (filled < lots && !book.IsEmpty && book.Crosses(book.BestPrice, limit))
        {
            var maker = book.BestHandle;
            ref var m = ref _orders[maker];
            var k = Math.Min(lots - filled, m.Remaining);
            var quote = Quote(k, m.Price, ins.TickValue);
            var slice = (long)(FloorDiv((Int128)vb * (filled + k), lots) - FloorDiv((Int128)vb * filled, lots));
            var surplus = isLong ? quote - slice : slice - quote;
            if (surplus < 0 && _ledgers.Insurance < -surplus) break;
            _matcher.Fill(a, ins, side, maker, k, 0, 0, liquidation: true);
            filled += k;
            if (surplus >= 0)
            {
                var fee = Math.Min(surplus, CeilPpm(quote, ins.Spec.LiquidationFeePpm));
                if (fee > 0) PayFee(a, ins.Id, fee);
            }
            else PayFromInsurance(a, ins.Id, -surplus);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Deleverage(int a, Instrument ins)
    {
        var equity = _margin.Equity(a);
        if (equity < 0) PayFromInsurance(a, ins.Id, -equity);
        var q = _accounts.Position(a, ins.Id).Qty;
        var lots = Math.Abs(q);
        var atBankruptcy = _policy == LossPolicy.Adl && _margin.Equity(a) < 0;
        var vb = atBankruptcy ? BankruptcyQuote(a, ins, lots) : 0;
        var closing = q > 0 ? -1L : 1L;
        _adl.BeginTaking(ins.Id, longs: q < 0);
        long done = 0;
        while (done < lots && _adl.TryTakeBest(out var next))
        {
            var cp = next.AccountId;
            var take = Math.Min(lots - done, Math.Abs(_accounts.Position(cp, ins.Id).Qty));
            _matcher.CancelAll(cp, ins.Id, CancelReason.Adl);
            var quote = atBankruptcy
                ? (long)(FloorDiv((Int128)vb * (done + take), lots) - FloorDiv((Int128)vb * done, lots))
                : Quote(take, ins.Mark, ins.TickValue);
            _accounts.ApplyFill(a, ins.Id, closing * take, quote);
            _accounts.ApplyFill(cp, ins.Id, -closing * take, quote);
            _index.MarkDirty(cp);
            done += take;
            ref var e = ref _events.Add(EventType.AdlClosure);
            e.AccountId = a;
            e.CounterpartyId = cp;
            e.InstrumentId = ins.Id;
            e.Side = closing > 0 ? Side.Buy : Side.Sell;
            e.Quantity = take;
            e.Quote = quote;
            e.Price = ins.Mark;
        }
        if (atBankruptcy) return;
        var after = _margin.Equity(a);
        if (after > 0)
        {
            var fee = Math.Min(after, CeilPpm((Int128)lots * ins.Mark * ins.TickValue, ins.Spec.LiquidationFeePpm));
            if (fee > 0) PayFee(a, ins.Id, fee);
        }
    }

    private void PayFee(int a, int instrument, long fee)
    {
        _accounts.Balance(a) -= fee;
        _ledgers.Insurance += fee;
        ref var e = ref _events.Add(EventType.LiquidationFee);
        e.AccountId = a;
        e.InstrumentId = instrument;
        e.Amount = fee;
    }

    /// <summary>Insurance pays up to <paramref name="wanted"/> to the account; returns what it paid.</summary>
    private long PayFromInsurance(int a, int instrument, long wanted)
    {
        var paid = Math.Min(wanted, _ledgers.Insurance);
        if (paid <= 0) return 0;
        _ledgers.Insurance -= paid;
        _accounts.Balance(a) += paid;
        ref var e = ref _events.Add(EventType.InsurancePayment);
        e.AccountId = a;
        e.InstrumentId = instrument;
        e.Amount = paid;
        return paid;
    }

    private void Ended(int a, EventFlags flags)
    {
        ref var e = ref _events.Add(EventType.LiquidationEnded);
        e.AccountId = a;
        e.Amount = _accounts.Balance(a);
        e.Flags = flags;
    }
}
