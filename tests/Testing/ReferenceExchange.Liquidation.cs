using System.Numerics;
using Exchange.Core;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using static Exchange.Testing.Exact;

namespace Exchange.Testing;

public sealed partial class ReferenceExchange
{
    private static readonly BigInteger PastOldClamp = BigInteger.One << 62;
    /// <summary>
    /// RULEBOOK section 7: after every command, scan every account; while any is liquidatable, take the one with the
    /// lowest E / MM (compared as E_a MM_b &lt; E_b MM_a, ties by lower id) and run the waterfall on it.
    /// </summary>
    private void LiquidationLoop()
    {
        while (true)
        {
            int? worst = null;
            BigInteger worstE = 0, worstMm = 0;
            foreach (var a in _accounts.Keys)
            {
                if (!IsLiquidatable(a)) continue;
                var e = Equity(a);
                var mm = Maintenance(a);
                // Accounts are visited in ascending id, so a strict comparison keeps the lower id on a tie.
                if (worst is null || e * worstMm < worstE * mm) (worst, worstE, worstMm) = (a, e, mm);
            }
            if (worst is null) return;
            Liquidate(worst.Value, worstE, worstMm);
        }
    }

    private void Liquidate(int a, BigInteger equity, BigInteger maintenance)
    {
        var trace = new LiquidationTrace(a);
        _traces.Add(trace);
        var started = NewEvent(EventType.LiquidationStarted);
        started.AccountId = a;
        started.Amount = ToLong(equity);
        started.Amount2 = ToLong(maintenance);
        Emit(started);

        // Step 1: cancel every open order.
        CancelOrdersOf(a, null, CancelReason.Liquidation);
        if (!IsLiquidatable(a))
        {
            Ended(a, EventFlags.Cured);
            return;
        }

        // The turn order is fixed now: largest MM first, ties by instrument id.
        var held = _accounts[a].HeldInstruments();
        var turns = held.OrderByDescending(i => PositionMaintenance(a, i)).ThenBy(i => i).ToList();

        // Step 2: close each position in the book at the liquidation band against its bankruptcy slices.
        foreach (var i in turns) CloseInBook(a, i);

        // Step 3: ADL what the book did not take. Under socialize the weights are measured when it starts.
        if (Options.Policy == LossPolicy.Socialize) MeasureWeights(a, held, trace);
        if (HoldsPosition(a))
        {
            foreach (var i in turns)
                if (Qty(a, i) != 0) Deleverage(a, i, trace);
        }

        // Step 4 (and the safety net of step 5 under adl): a negative balance is covered by insurance, then by
        // haircuts (socialize only, with the weights measured in step 3), then by the exchange.
        var balance = Balance(a);
        if (balance < 0)
        {
            var deficit = -balance - PayFromInsurance(a, -1, -balance);
            if (deficit > 0) Socialize(a, deficit, trace);
        }
        Ended(a, EventFlags.None);
    }

    /// <summary>The bankruptcy quote of a position now: the account's equity split pro rata to MM.</summary>
    private BigInteger BankruptcyQuote(int a, int instrument)
    {
        var q = Qty(a, instrument);
        var share = Floor(Equity(a) * PositionMaintenance(a, instrument), Maintenance(a));
        var notional = BigInteger.Abs(MarkValue(instrument, q));
        return q > 0 ? notional - share : notional + share;
    }

    /// <summary>The slice of <paramref name="vb"/> for lots filled from <paramref name="before"/> to <paramref name="after"/>.</summary>
    private static BigInteger Slice(BigInteger vb, BigInteger lots, BigInteger before, BigInteger after) =>
        Floor(vb * after, lots) - Floor(vb * before, lots);

    private void CloseInBook(int a, int instrument)
    {
        var ins = _instruments[instrument];
        var q = Qty(a, instrument);
        var lots = BigInteger.Abs(q);
        var isLong = q > 0;
        var side = isLong ? Side.Sell : Side.Buy;
        var limit = isLong ? BandLow(ins.Mark, ins.Spec.LiquidationBandPpm) : BandHigh(ins.Mark, ins.Spec.LiquidationBandPpm);
        var vb = BankruptcyQuote(a, instrument);
        BigInteger filled = 0;
        while (filled < lots)
        {
            var maker = Book(instrument, Opposite(side)).FirstOrDefault();
            if (maker is null || !Crosses(side, maker.Price, limit)) break;
            var k = Min(lots - filled, maker.Remaining);
            BigInteger quote = k * maker.Price * ins.Spec.TickValue;
            var slice = Slice(vb, lots, filled, filled + k);
            var surplus = isLong ? quote - slice : slice - quote;
            // A fill the insurance fund cannot top up is not made; the maker's order stays as it was.
            if (surplus < 0 && Insurance < -surplus) break;
            Fill(a, instrument, side, maker, ToLong(k), 0, 0, liquidation: true);
            filled += k;
            if (surplus >= 0)
            {
                var fee = Min(surplus, Ceil(quote * ins.Spec.LiquidationFeePpm, Million));
                if (fee > 0) PayLiquidationFee(a, instrument, fee);
            }
            else PayFromInsurance(a, instrument, -surplus);
        }
    }

    /// <summary>
    /// BitMEX's ranking: pnl = upnl 1e6 / max(|C|, 1) and lev = |q| m tv 1e6 / max(E, 1), both truncated; score =
    /// pnl lev when pnl &gt; 0, else pnl 1e6 / max(lev, 1). Exact, never clamped (RULEBOOK section 8 step 3).
    /// </summary>
    public BigInteger AdlScore(int account, int instrument)
    {
        var p = _accounts[account].Position(instrument);
        var pnl = Trunc(Upnl(account, instrument) * Million, Max(BigInteger.Abs(p.Cost), 1));
        var lev = Trunc(BigInteger.Abs(MarkValue(instrument, p.Qty)) * Million, Max(Equity(account), 1));
        return pnl > 0 ? pnl * lev : Trunc(pnl * Million, Max(lev, 1));
    }

    /// <summary>The holders of one side of an instrument, best ADL candidate first (score descending, then id).</summary>
    public List<int> AdlQueue(int instrument, bool longs) =>
        _accounts.Values.Where(x => longs ? x.Position(instrument).Qty > 0 : x.Position(instrument).Qty < 0)
            .Select(x => (Id: x.Id, Score: AdlScore(x.Id, instrument)))
            .OrderByDescending(x => x.Score).ThenBy(x => x.Id).Select(x => x.Id).ToList();

    private void Deleverage(int a, int instrument, LiquidationTrace trace)
    {
        var ins = _instruments[instrument];
        var equity = Equity(a);
        if (equity < 0) PayFromInsurance(a, instrument, -equity);
        var q = Qty(a, instrument);
        var lots = BigInteger.Abs(q);
        var atBankruptcy = Options.Policy == LossPolicy.Adl && Equity(a) < 0;
        var vb = atBankruptcy ? BankruptcyQuote(a, instrument) : 0;
        var closing = q > 0 ? Side.Sell : Side.Buy;
        BigInteger closingSign = q > 0 ? -1 : 1;
        var queue = AdlQueue(instrument, longs: q < 0);
        trace.AdlQueues[instrument] = queue;
        // Insolvent counterparties whose lev (notional x 1e6) passes 2^62: where a clamped score would tie (issue 19).
        var past = queue.Where(cp => Equity(cp) <= 0 && BigInteger.Abs(MarkValue(instrument, Qty(cp, instrument))) * Million > PastOldClamp)
            .ToHashSet();
        BigInteger done = 0;
        foreach (var cp in queue)
        {
            if (done == lots) break;
            if (past.Contains(cp)) trace.InsolventClosuresPast2To62++;
            var take = Min(lots - done, BigInteger.Abs(Qty(cp, instrument)));
            CancelOrdersOf(cp, instrument, CancelReason.Adl);
            var quote = atBankruptcy ? Slice(vb, lots, done, done + take) : take * ins.Mark * ins.Spec.TickValue;
            ApplyFill(a, instrument, closingSign * take, quote);
            ApplyFill(cp, instrument, -closingSign * take, quote);
            done += take;
            var e = NewEvent(EventType.AdlClosure);
            e.AccountId = a;
            e.CounterpartyId = cp;
            e.InstrumentId = instrument;
            e.Side = closing;
            e.Quantity = ToLong(take);
            e.Quote = ToLong(quote);
            e.Price = ins.Mark;
            Emit(e);
        }
        if (done != lots) throw new InvalidOperationException($"ADL queue of instrument {instrument} could not absorb {lots} lots");
        if (atBankruptcy) return;
        var after = Equity(a);
        if (after > 0)
        {
            var fee = Min(after, Ceil(lots * ins.Mark * ins.Spec.TickValue * ins.Spec.LiquidationFeePpm, Million));
            if (fee > 0) PayLiquidationFee(a, instrument, fee);
        }
    }

    /// <summary>Weights: each other account's positive upnl, summed over the instruments the bankrupt held.</summary>
    private void MeasureWeights(int bankrupt, List<int> instruments, LiquidationTrace trace)
    {
        foreach (var x in _accounts.Values)
        {
            if (x.Id == bankrupt) continue;
            BigInteger w = 0;
            foreach (var i in instruments)
            {
                var u = Upnl(x.Id, i);
                if (u > 0) w += u;
            }
            if (w > 0) trace.Weights[x.Id] = w;
        }
    }

    /// <summary>
    /// Haircuts of floor(D w / W) with the leftover units one each to the largest remainders (ties by lower id) when
    /// the weights cover D; otherwise everyone pays its weight and the exchange absorbs the rest.
    /// </summary>
    private void Socialize(int bankrupt, BigInteger deficit, LiquidationTrace trace)
    {
        trace.Socialized = deficit;
        var weights = trace.Weights;
        var total = weights.Values.Aggregate(BigInteger.Zero, (s, w) => s + w);
        var cuts = new SortedDictionary<int, BigInteger>();
        if (total >= deficit)
        {
            var remainders = new List<(int Id, BigInteger Remainder)>();
            foreach (var (id, w) in weights)
            {
                cuts[id] = Floor(deficit * w, total);
                remainders.Add((id, deficit * w - cuts[id] * total));
            }
            var leftover = deficit - cuts.Values.Aggregate(BigInteger.Zero, (s, x) => s + x);
            foreach (var (id, _) in remainders.OrderByDescending(r => r.Remainder).ThenBy(r => r.Id).Take((int)leftover))
                cuts[id] += 1;
        }
        else
        {
            foreach (var (id, w) in weights) cuts[id] = w;
        }
        foreach (var (id, cut) in cuts)
        {
            if (cut == 0) continue;
            _accounts[id].Balance -= cut;
            _accounts[bankrupt].Balance += cut;
            var e = NewEvent(EventType.Haircut);
            e.AccountId = id;
            e.CounterpartyId = bankrupt;
            e.Amount = ToLong(cut);
            Emit(e);
        }
        if (total < deficit)
        {
            var loss = deficit - total;
            ExchangeLedger -= loss;
            _accounts[bankrupt].Balance += loss;
            var e = NewEvent(EventType.ExchangeLoss);
            e.AccountId = bankrupt;
            e.Amount = ToLong(loss);
            Emit(e);
        }
    }

    private void PayLiquidationFee(int a, int instrument, BigInteger fee)
    {
        _accounts[a].Balance -= fee;
        Insurance += fee;
        var e = NewEvent(EventType.LiquidationFee);
        e.AccountId = a;
        e.InstrumentId = instrument;
        e.Amount = ToLong(fee);
        Emit(e);
    }

    /// <summary>The insurance fund pays up to <paramref name="wanted"/> to the account; returns what it paid.</summary>
    private BigInteger PayFromInsurance(int a, int instrument, BigInteger wanted)
    {
        var paid = Min(wanted, Insurance);
        if (paid <= 0) return 0;
        Insurance -= paid;
        _accounts[a].Balance += paid;
        var e = NewEvent(EventType.InsurancePayment);
        e.AccountId = a;
        e.InstrumentId = instrument;
        e.Amount = ToLong(paid);
        Emit(e);
        return paid;
    }

    private void Ended(int a, EventFlags flags)
    {
        var e = NewEvent(EventType.LiquidationEnded);
        e.AccountId = a;
        e.Amount = ToLong(Balance(a));
        e.Flags = flags;
        Emit(e);
    }
}
