using System.Numerics;
using System.Runtime.CompilerServices;
using Exchange.Core.Accounts;
using Exchange.Core.Events;
using Exchange.Core.Instruments;
using Exchange.Core.Risk;

namespace Exchange.Core.Liquidation;

/// <summary>
/// Socialized losses (RULEBOOK section 8 step 4): weights are the positive upnl of each other account in the
/// bankrupt's instruments, measured before ADL closes anything; a deficit D is split as floor(D x w / W) with the
/// leftover units going one each to the largest remainders (ties by lower id), never above w. What the weights
/// cannot cover goes to the exchange ledger.
/// </summary>
internal sealed class Socializer
{
    private readonly AccountStore _accounts;
    private readonly MarginCalculator _margin;
    private readonly Ledgers _ledgers;
    private readonly EventBuffer _events;
    private readonly LiquidationIndex _index;
    private readonly InstrumentTable _instruments;
    private readonly AdlQueue _adl;
    private readonly AccountReports _reports;
    // Per account (by id): its weight, and the headroom of its re-evaluation after a haircut (LiquidationIndex.Headroom),
    // side by side so the measuring pass writes one line for both.
    private PayerSlot[] _slots = new PayerSlot[1024];
    private int[] _payers = new int[256];
    private int _payerCount;
    // Lowest and highest payer id measured (for OrderPayers' bitmap).
    private int _minPayer = int.MaxValue, _maxPayer;
    private Remainder[] _remainders = new Remainder[256];
    // Per payer, in payer (account) order: its floor share and the remainder of D x w / W.
    private long[] _shares = new long[256];
    private Int128[] _rems = new Int128[256];
    // Sum of the weights measured (W).
    private Int128 _total;
    private ulong[] _bits = new ulong[64];

    public Socializer(AccountStore accounts, InstrumentTable instruments, MarginCalculator margin, Ledgers ledgers,
        EventBuffer events, LiquidationIndex index, AdlQueue adl, AccountReports reports)
    {
        _reports = reports;
        _instruments = instruments;
        _adl = adl;
        _accounts = accounts;
        _margin = margin;
        _ledgers = ledgers;
        _events = events;
        _index = index;
    }

    /// <summary>
    /// Measures the weights of every other account in the instruments of <paramref name="mask"/>. With
    /// <paramref name="scoreAdl"/> (step 3 is about to deleverage every position the bankrupt still holds in them) the
    /// same pass builds the ADL queue of each such position's opposite side (<see cref="AdlQueue.BeginBuildWith"/>),
    /// scoring each holder from the sums it has just made current, instead of a second pass over the same holders
    /// when the ADL begins: nothing changes an account between the two without an event, which the queue catches up.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Measure(int bankrupt, ulong mask, bool scoreAdl)
    {
        Clear();
        for (; mask != 0; mask &= mask - 1)
        {
            var i = BitOperations.TrailingZeroCount(mask);
            var q = scoreAdl ? _accounts.Position(bankrupt, i).Qty : 0;
            var side = q != 0 ? _adl.BeginBuildWith(i, longs: q < 0) : null;
            MeasureSide(bankrupt, i, longs: true, q < 0 ? side : null);
            MeasureSide(bankrupt, i, longs: false, q > 0 ? side : null);
            side?.EndBuild();
        }
        OrderPayers();
    }

    /// <summary>
    /// Puts the payers in account order (the reports and the tie-break need it). Many payers are ordered through a
    /// bitmap of their ids (one bit set per payer, read back word by word in ascending order): O(payers + id range /
    /// 64) instead of a comparison sort, which was 9% of a 10,000-winner socialization (docs/benchmarks.md). Few payers
    /// spread over a large id range are sorted.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OrderPayers()
    {
        var payers = _payers.AsSpan(0, _payerCount);
        if (payers.Length < 64)
        {
            payers.Sort();
            return;
        }
        int min = _minPayer, max = _maxPayer;
        var words = (max >> 6) - (min >> 6) + 1;
        if (words > 4 * payers.Length)
        {
            payers.Sort();
            return;
        }
        if (_bits.Length < words) _bits = new ulong[Math.Max(words, _bits.Length * 2)];
        var first = min >> 6;
        foreach (var a in payers) _bits[(a >> 6) - first] |= 1UL << (a & 63);
        var n = 0;
        for (var w = 0; w < words; w++)
        {
            for (var bits = _bits[w]; bits != 0; bits &= bits - 1)
                payers[n++] = ((first + w) << 6) + BitOperations.TrailingZeroCount(bits);
            _bits[w] = 0;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void MeasureSide(int bankrupt, int i, bool longs, AdlQueue.SideHeap? adl)
    {
        var ins = _instruments[i];
        // What the payers' headroom needs of the instrument, once per side.
        var ticks = LiquidationIndex.ReachTicks(ins, longs);
        var tickValue = ins.TickValue;
        var mmrPpm = ins.Spec.MmrPpm;
        foreach (var a in _accounts.Holders(i, longs))
        {
            if (a == bankrupt)
            {
                // Never a holder of the side it is deleveraged against; scored the usual way if it were.
                if (adl is not null) _adl.AddHolder(adl, a, i);
                continue;
            }
            // Its sums are made current here, once: the position's upnl term is the weight's and the ADL score's
            // (Int128 sum of upnl + balance = its equity), and the re-evaluation after the haircut and the report
            // read the same sums instead of rebuilding them.
            ref var sums = ref _margin.Refresh(a);
            ref var p = ref _accounts.Position(a, i);
            var u = p.UpnlPart;
            var equity = _accounts.Balance(a) + sums.Upnl;
            if (adl is not null) _adl.AddHolder(adl, a, u, p.Cost, p.Qty, ins, equity);
            if (u <= 0) continue;
            if (a >= _slots.Length) Array.Resize(ref _slots, Math.Max(_slots.Length * 2, a + 1));
            ref var slot = ref _slots[a];
            if (slot.Weight == 0)
            {
                if (_payerCount == _payers.Length) Array.Resize(ref _payers, _payers.Length * 2);
                _payers[_payerCount++] = a;
                _minPayer = Math.Min(_minPayer, a);
                _maxPayer = Math.Max(_maxPayer, a);
            }
            slot.Weight += u;
            // Taken while the account's lines are in cache: what its haircut may take with its re-evaluation skipped
            // (-1 for an account measured twice: it holds two positions). Measured from the sums just made current.
            // The ticks are those of a position on this side (as a holder's is; checked all the same).
            slot.Headroom = _index.Headroom(a, _accounts.HeldMask(a), equity, sums.Mm, ref p, tickValue, mmrPpm,
                p.Qty > 0 == longs ? ticks : -1);
            _total += u;
        }
    }

    /// <summary>
    /// Charges <paramref name="deficit"/> to the accounts of the last <see cref="Measure"/> (haircuts), the rest to the
    /// exchange, and forgets the weights. One pass computes each payer's floor share and remainder; the leftover units
    /// go to the payers whose (remainder, id) ranks at or before the leftover-th best, found by selection; a second pass,
    /// in account order, debits each payer, reports its haircut and re-evaluates it in the liquidation index at once
    /// (<see cref="LiquidationIndex.EvaluateNow"/>: a haircut is the last change a liquidation makes to a payer, so
    /// this is what the next refresh would find), while its account is in cache; or, when the headroom measured with
    /// its weight shows that evaluation would change nothing (<see cref="LiquidationIndex.Headroom"/>, most payers: a
    /// haircut is small against a winner's slack), skips it and reads none of the payer's sums or position again.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Charge(int bankrupt, long deficit)
    {
        var total = _total;
        var n = _payerCount;
        var payers = _payers;
        var slots = _slots;
        long paid = 0;
        if (total >= deficit)
        {
            if (_remainders.Length < n) _remainders = new Remainder[Math.Max(n, _remainders.Length * 2)];
            if (_shares.Length < n)
            {
                _shares = new long[Math.Max(n, _shares.Length * 2)];
                _rems = new Int128[_shares.Length];
            }
            var shares = _shares;
            var rems = _rems;
            var remainders = _remainders;
            long charged = 0;
            // 64-bit when provably exact: with 0 < w and W <= 2^63 - 1 and the product D x w below 2^64 (its high half
            // 0), unsigned division gives the same quotient and remainder as the Int128 path (all non-negative).
            var small = total <= long.MaxValue;
            // W > 0 (W >= D > 0): its reciprocal turns each payer's division by W into a multiplication (exact,
            // FixedPoint.DivideByReciprocal; the division was a fifth of this loop's samples).
            var divisor = small ? (ulong)(long)total : 1;
            var reciprocal = FixedPoint.ReciprocalOf(divisor);
            for (var i = 0; i < n; i++)
            {
                var a = payers[i];
                var w = slots[a].Weight;
                // Forgotten as it is read (Clear's pass, folded in).
                slots[a].Weight = 0;
                var wide = FixedPoint.Multiply((ulong)deficit, (ulong)w);
                var low = wide.Low;
                long share;
                Int128 remainder;
                if (small && wide.High == 0)
                {
                    var split = FixedPoint.DivideByReciprocal(low, divisor, reciprocal);
                    share = (long)split.High;
                    remainder = (long)split.Low;
                }
                else
                {
                    var product = (Int128)deficit * w;
                    share = (long)(product / total);
                    remainder = product % total;
                }
                charged += share;
                shares[i] = share;
                rems[i] = remainder;
            }
            // Only the leftover largest remainders get a unit (leftover < payers): select them, no full sort; the
            // last of them in the ranking is the cut, and a payer gets a unit when its (remainder, id) ranks no later.
            var leftover = (int)(deficit - charged);
            var cut = default(Remainder);
            if (leftover > 0)
            {
                // The ranking records are written only when there is something to rank (an exact split has none).
                for (var i = 0; i < n; i++) remainders[i] = new Remainder(rems[i], payers[i], shares[i]);
                var ranked = remainders.AsSpan(0, n);
                SelectBest(ranked, leftover);
                cut = ranked[0];
                for (var i = 1; i < leftover; i++)
                    if (ranked[i].CompareTo(cut) > 0) cut = ranked[i];
            }
            // Report in account order, as the reference model does.
            _reports.CatchUp();
            for (var i = 0; i < n; i++)
            {
                var a = payers[i];
                var amount = shares[i];
                if (leftover > 0 && new Remainder(rems[i], a, 0).CompareTo(cut) <= 0) amount++;
                paid += Haircut(a, bankrupt, amount, slots[a].Headroom);
            }
            _accounts.Balance(bankrupt) += paid;
        }
        else
        {
            _reports.CatchUp();
            for (var i = 0; i < n; i++)
            {
                var a = payers[i];
                ref var slot = ref slots[a];
                paid += Haircut(a, bankrupt, slot.Weight, slot.Headroom);
                slot.Weight = 0;
            }
            _accounts.Balance(bankrupt) += paid;
            var loss = deficit - (long)total;
            _ledgers.Exchange -= loss;
            _accounts.Balance(bankrupt) += loss;
            ref var e = ref _events.Add(EventType.ExchangeLoss);
            e.AccountId = bankrupt;
            e.Amount = loss;
        }
        // Every weight was zeroed above.
        ResetPayers();
    }

    /// <summary>Debits the payer (the caller credits the bankrupt with the sum), reports the haircut and re-evaluates
    /// the payer unless its measured <paramref name="headroom"/> shows the evaluation would change nothing
    /// (<see cref="LiquidationIndex.EvaluateAfterDrop"/>); returns the amount.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long Haircut(int payer, int bankrupt, long amount, long headroom)
    {
        if (amount == 0) return 0;
        _accounts.Balance(payer) -= amount;
        ref var e = ref _events.Add(EventType.Haircut);
        e.AccountId = payer;
        e.CounterpartyId = bankrupt;
        e.Amount = amount;
        // A haircut touches its payer alone: recorded now rather than read back at the command's end.
        _reports.TouchedAlone(payer);
        _index.EvaluateAfterDrop(payer, amount, headroom);
        return amount;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Clear()
    {
        for (var i = 0; i < _payerCount; i++) _slots[_payers[i]].Weight = 0;
        ResetPayers();
    }

    private void ResetPayers()
    {
        _payerCount = 0;
        _total = 0;
        _minPayer = int.MaxValue;
        _maxPayer = 0;
    }

    /// <summary>
    /// Moves the <paramref name="k"/> first entries of <paramref name="items"/> in their order (a strict total order:
    /// remainder descending, then account id) to its front, in any order: quickselect with a median-of-three pivot,
    /// O(n) expected, falling back to a sort of what is left if the partitions degrade.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void SelectBest(Span<Remainder> items, int k)
    {
        if (k <= 0 || k >= items.Length) return;
        int lo = 0, hi = items.Length - 1;
        var budget = 2 * BitOperations.Log2((uint)items.Length) + 4;
        while (hi > lo)
        {
            if (--budget < 0)
            {
                items[lo..(hi + 1)].Sort();
                return;
            }
            var mid = lo + (hi - lo) / 2;
            if (items[mid].CompareTo(items[lo]) < 0) Swap(items, lo, mid);
            if (items[hi].CompareTo(items[lo]) < 0) Swap(items, lo, hi);
            if (items[hi].CompareTo(items[mid]) < 0) Swap(items, mid, hi);
            Swap(items, mid, hi);
            var pivot = items[hi];
            var store = lo;
            for (var i = lo; i < hi; i++)
                if (items[i].CompareTo(pivot) < 0) Swap(items, i, store++);
            Swap(items, store, hi);
            // [lo, store) come before the pivot, (store, hi] after it: no two entries are equal.
            if (store == k || store == k - 1) return;
            if (store > k) hi = store - 1;
            else lo = store + 1;
        }
    }

    private static void Swap(Span<Remainder> items, int i, int j) => (items[i], items[j]) = (items[j], items[i]);

    private struct PayerSlot
    {
        public long Weight;
        public long Headroom;
    }

    internal readonly record struct Remainder(Int128 Value, int AccountId, long Share) : IComparable<Remainder>
    {
        public int CompareTo(Remainder other)
        {
            var c = other.Value.CompareTo(Value);
            return c != 0 ? c : AccountId.CompareTo(other.AccountId);
        }
    }
}
