using Exchange.Core.Accounts;
using Exchange.Core.Instruments;
using Exchange.Core.Risk;

namespace Exchange.Core.Liquidation;

/// <summary>
/// The auto-deleveraging queue (RULEBOOK section 8 step 3): the holders of one side of an instrument ranked by
/// BitMEX's score, profit ratio times effective leverage. Scores move with every mark, so the queue is ranked when it
/// is consulted (an ADL, or a trader's indicator query) from the instrument's holder list, into a reused buffer. An ADL
/// takes only the first few of the queue, so it is served from a heap (O(n) to build, O(log n) per counterparty)
/// rather than a full sort: the same order, since the ranking is a strict total order (score, then account id).
/// Measured with 10,000 holders: 513 µs per ADL'd position with the sort, most of it sorting (docs/benchmarks.md).
/// </summary>
internal sealed class AdlQueue
{
    private readonly AccountStore _accounts;
    private readonly InstrumentTable _instruments;
    private readonly MarginCalculator _margin;
    private AdlRank[] _ranks = new AdlRank[256];
    private int _heapCount;

    public AdlQueue(AccountStore accounts, InstrumentTable instruments, MarginCalculator margin)
    {
        _accounts = accounts;
        _instruments = instruments;
        _margin = margin;
    }

    /// <summary>
    /// Ranks the holders of <paramref name="instrument"/> on one side (<paramref name="longs"/>), best ADL candidate
    /// first. The span is valid until the next call.
    /// </summary>
    public ReadOnlySpan<AdlRank> Rank(int instrument, bool longs)
    {
        var span = Score(instrument, longs);
        span.Sort();
        return span;
    }

    /// <summary>
    /// Scores the holders of <paramref name="instrument"/> on one side and makes them a heap; take them best first
    /// with <see cref="TryTakeBest"/>, in <see cref="Rank"/>'s order. Valid until the next call of either.
    /// </summary>
    public void BeginTaking(int instrument, bool longs)
    {
        var heap = Score(instrument, longs);
        _heapCount = heap.Length;
        for (var i = _heapCount / 2 - 1; i >= 0; i--) SiftDown(heap, i);
    }

    /// <summary>The best remaining candidate of the queue <see cref="BeginTaking"/> made; false when none is left.</summary>
    public bool TryTakeBest(out AdlRank best)
    {
        if (_heapCount == 0)
        {
            best = default;
            return false;
        }
        var heap = _ranks.AsSpan(0, _heapCount);
        best = heap[0];
        _heapCount--;
        if (_heapCount > 0)
        {
            heap[0] = heap[_heapCount];
            SiftDown(heap[.._heapCount], 0);
        }
        return true;
    }

    private Span<AdlRank> Score(int instrument, bool longs)
    {
        var holders = _accounts.Holders(instrument, longs);
        if (_ranks.Length < holders.Length) _ranks = new AdlRank[Math.Max(holders.Length, _ranks.Length * 2)];
        for (var i = 0; i < holders.Length; i++) _ranks[i] = new AdlRank(Score(holders[i], instrument), holders[i]);
        return _ranks.AsSpan(0, holders.Length);
    }

    /// <summary>Restores the heap below <paramref name="i"/>: the better (smaller in <see cref="AdlRank"/>'s order) on top.</summary>
    private static void SiftDown(Span<AdlRank> heap, int i)
    {
        var item = heap[i];
        while (true)
        {
            var child = 2 * i + 1;
            if (child >= heap.Length) break;
            if (child + 1 < heap.Length && heap[child + 1].CompareTo(heap[child]) < 0) child++;
            if (heap[child].CompareTo(item) >= 0) break;
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = item;
    }

    /// <summary>
    /// pnl = upnl x 1e6 / max(|C|, 1) (truncated); lev = |q| x m x tick_value x 1e6 / max(E, 1);
    /// score = pnl x lev when pnl &gt; 0, else pnl x 1e6 / max(lev, 1). Exact: pnl &lt; 2^83 (upnl is a long) and
    /// lev &lt;= 2^80 (a notional is at most 2^60), so each factor fits in Int128 and only the product is widened.
    /// </summary>
    public AdlScore Score(int account, int instrument)
    {
        ref var p = ref _accounts.Position(account, instrument);
        var ins = _instruments[instrument];
        Int128 upnl = _margin.Upnl(account, instrument);
        var pnl = upnl * FixedPoint.Million / Math.Max(Math.Abs(p.Cost), 1);
        var equity = Math.Max(_margin.Equity(account), 1);
        var lev = (Int128)Math.Abs(p.Qty) * ins.Mark * ins.TickValue * FixedPoint.Million / equity;
        return pnl > 0 ? AdlScore.Product(pnl, lev) : AdlScore.From(pnl * FixedPoint.Million / Int128.Max(lev, 1));
    }

    /// <summary>0-based place of the account's position in its side's queue, or -1 when it holds none.</summary>
    public int RankOf(int account, int instrument, out int queueLength)
    {
        var q = _accounts.Position(account, instrument).Qty;
        queueLength = 0;
        if (q == 0) return -1;
        // The place is how many rank ahead: a count, no sort needed.
        var ranks = Score(instrument, q > 0);
        queueLength = ranks.Length;
        var own = -1;
        for (var i = 0; i < ranks.Length; i++)
            if (ranks[i].AccountId == account) own = i;
        if (own < 0) return -1;
        var ahead = 0;
        for (var i = 0; i < ranks.Length; i++)
            if (ranks[i].CompareTo(ranks[own]) < 0) ahead++;
        return ahead;
    }

    /// <summary>The indicator traders see: 5 for the first fifth of the queue (deleveraged first) down to 1; 0 = flat.</summary>
    public int Quintile(int account, int instrument)
    {
        var rank = RankOf(account, instrument, out var n);
        return rank < 0 ? 0 : 5 - (int)(5L * rank / n);
    }
}
