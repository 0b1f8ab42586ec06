using System.Numerics;
using System.Runtime.CompilerServices;
using Exchange.Core.Accounts;
using Exchange.Core.Events;
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
    private long[] _weight = new long[1024];
    private int[] _payers = new int[256];
    private int _payerCount;
    private Remainder[] _remainders = new Remainder[256];
    private ulong[] _bits = new ulong[64];

    public Socializer(AccountStore accounts, MarginCalculator margin, Ledgers ledgers, EventBuffer events, LiquidationIndex index)
    {
        _accounts = accounts;
        _margin = margin;
        _ledgers = ledgers;
        _events = events;
        _index = index;
    }

    /// <summary>Measures the weights of every other account in the instruments of <paramref name="mask"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Measure(int bankrupt, ulong mask)
    {
        Clear();
        for (; mask != 0; mask &= mask - 1)
        {
            var i = BitOperations.TrailingZeroCount(mask);
            MeasureSide(bankrupt, i, longs: true);
            MeasureSide(bankrupt, i, longs: false);
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
        int min = int.MaxValue, max = 0;
        foreach (var a in payers)
        {
            min = Math.Min(min, a);
            max = Math.Max(max, a);
        }
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
    private void MeasureSide(int bankrupt, int i, bool longs)
    {
        foreach (var a in _accounts.Holders(i, longs))
        {
            if (a == bankrupt) continue;
            var u = _margin.Upnl(a, i);
            if (u <= 0) continue;
            if (a >= _weight.Length) Array.Resize(ref _weight, Math.Max(_weight.Length * 2, a + 1));
            if (_weight[a] == 0)
            {
                if (_payerCount == _payers.Length) Array.Resize(ref _payers, _payers.Length * 2);
                _payers[_payerCount++] = a;
            }
            _weight[a] += u;
        }
    }

    /// <summary>Charges <paramref name="deficit"/> to the accounts of the last <see cref="Measure"/> (haircuts), the rest
    /// to the exchange, and forgets the weights.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Charge(int bankrupt, long deficit)
    {
        Int128 total = 0;
        for (var i = 0; i < _payerCount; i++) total += _weight[_payers[i]];
        if (total >= deficit)
        {
            if (_remainders.Length < _payerCount) _remainders = new Remainder[Math.Max(_payerCount, _remainders.Length * 2)];
            long charged = 0;
            // 64-bit when provably exact: with 0 < w and W <= 2^63 - 1 and the product D x w below 2^64 (its high half
            // 0), unsigned division gives the same quotient and remainder as the Int128 path (all non-negative).
            var small = total <= long.MaxValue;
            for (var i = 0; i < _payerCount; i++)
            {
                var a = _payers[i];
                var high = Math.BigMul((ulong)deficit, (ulong)_weight[a], out var low);
                long share;
                Int128 remainder;
                if (small && high == 0)
                {
                    var q = low / (ulong)total;
                    share = (long)q;
                    remainder = (long)(low - q * (ulong)total);
                }
                else
                {
                    var product = (Int128)deficit * _weight[a];
                    share = (long)(product / total);
                    remainder = product % total;
                }
                charged += share;
                _remainders[i] = new Remainder(remainder, a, share);
            }
            var leftover = deficit - charged;
            var ranked = _remainders.AsSpan(0, _payerCount);
            // Only the leftover largest remainders get a unit (leftover < payers): select them, no full sort.
            SelectBest(ranked, (int)leftover);
            for (var i = 0; i < leftover; i++) ranked[i] = ranked[i] with { Share = ranked[i].Share + 1 };
            // Report in account order, as the reference model does.
            for (var i = 0; i < _payerCount; i++) _weight[ranked[i].AccountId] = ranked[i].Share;
            for (var i = 0; i < _payerCount; i++) Haircut(_payers[i], bankrupt, _weight[_payers[i]]);
        }
        else
        {
            for (var i = 0; i < _payerCount; i++) Haircut(_payers[i], bankrupt, _weight[_payers[i]]);
            var loss = deficit - (long)total;
            _ledgers.Exchange -= loss;
            _accounts.Balance(bankrupt) += loss;
            ref var e = ref _events.Add(EventType.ExchangeLoss);
            e.AccountId = bankrupt;
            e.Amount = loss;
        }
        Clear();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Haircut(int payer, int bankrupt, long amount)
    {
        if (amount == 0) return;
        _accounts.Balance(payer) -= amount;
        _accounts.Balance(bankrupt) += amount;
        _index.MarkDirty(payer);
        ref var e = ref _events.Add(EventType.Haircut);
        e.AccountId = payer;
        e.CounterpartyId = bankrupt;
        e.Amount = amount;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Clear()
    {
        for (var i = 0; i < _payerCount; i++) _weight[_payers[i]] = 0;
        _payerCount = 0;
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

    internal readonly record struct Remainder(Int128 Value, int AccountId, long Share) : IComparable<Remainder>
    {
        public int CompareTo(Remainder other)
        {
            var c = other.Value.CompareTo(Value);
            return c != 0 ? c : AccountId.CompareTo(other.AccountId);
        }
    }
}
