using System.Runtime.CompilerServices;

namespace Exchange.Core.Book;

/// <summary>
/// One side of a book: price levels kept sorted in flat arrays with the best level at the end, so the best price
/// is O(1), removing the best level is O(1), and any other level is found by binary search. Each level is a FIFO of
/// order handles (time priority). Flat arrays beat a tree here: a book has hundreds of levels, the hot activity is
/// at the top, and a memmove of a few hundred longs is cheaper than pointer chasing.
/// </summary>
internal sealed class BookSide
{
    private readonly OrderStore _orders;
    private readonly bool _isBid;
    private long[] _prices;
    private int[] _heads;
    private int[] _tails;
    private long[] _totals;
    private int _count;

    public BookSide(OrderStore orders, bool isBid, int capacity)
    {
        _orders = orders;
        _isBid = isBid;
        _prices = new long[capacity];
        _heads = new int[capacity];
        _tails = new int[capacity];
        _totals = new long[capacity];
    }

    public int LevelCount => _count;
    public bool IsEmpty => _count == 0;

    /// <summary>Best price (highest bid, lowest ask); only when not empty.</summary>
    public long BestPrice => _prices[_count - 1];

    /// <summary>Oldest order at the best price, or -1.</summary>
    public int BestHandle => _count == 0 ? -1 : _heads[_count - 1];

    /// <summary>Level i counted from the best (0 = best): price and total lots.</summary>
    public long LevelPrice(int fromBest) => _prices[_count - 1 - fromBest];
    public long LevelTotal(int fromBest) => _totals[_count - 1 - fromBest];
    public int LevelHead(int fromBest) => _heads[_count - 1 - fromBest];

    /// <summary>True when a taker at <paramref name="limit"/> on the other side can trade with price p of this side.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Crosses(long price, long limit) => _isBid ? price >= limit : price <= limit;

    /// <summary>Appends an order (fields set, already allocated) at the back of its price level.</summary>
    public void Add(int handle)
    {
        ref var o = ref _orders[handle];
        var i = Find(o.Price, out var found);
        if (!found) i = InsertLevel(i, o.Price);
        o.Next = -1;
        o.Prev = _tails[i];
        if (_tails[i] >= 0) _orders[_tails[i]].Next = handle; else _heads[i] = handle;
        _tails[i] = handle;
        _totals[i] += o.Remaining;
    }

    /// <summary>Unlinks an order from its level (removing the level when it empties). Does not release it.</summary>
    public void Remove(int handle)
    {
        ref var o = ref _orders[handle];
        var i = _count > 0 && _prices[_count - 1] == o.Price ? _count - 1 : Find(o.Price, out _);
        if (o.Prev >= 0) _orders[o.Prev].Next = o.Next; else _heads[i] = o.Next;
        if (o.Next >= 0) _orders[o.Next].Prev = o.Prev; else _tails[i] = o.Prev;
        _totals[i] -= o.Remaining;
        o.Prev = o.Next = -1;
        if (_heads[i] < 0) RemoveLevel(i);
    }

    /// <summary>
    /// Moves a resting order to the back of the level at <paramref name="price"/> with <paramref name="lots"/>
    /// remaining: the same book as <see cref="Remove"/> then <see cref="Add"/> at the new price. When the order was
    /// alone at its level and the new price has no level yet (the usual price amend in a book of mostly one-order
    /// levels), the level is carried to its new place and only the levels in between shift, instead of two
    /// memmoves of everything above the two places (a deep amend in a 700-level book moved ~16 KB).
    /// </summary>
    public void Move(int handle, long price, long lots)
    {
        ref var o = ref _orders[handle];
        var k = 0;
        var found = true;
        if (o.Prev < 0 && o.Next < 0 && price != o.Price) k = Find(price, out found);
        if (found)
        {
            Remove(handle);
            o.Price = price;
            o.Remaining = lots;
            Add(handle);
            return;
        }
        var i = _count > 0 && _prices[_count - 1] == o.Price ? _count - 1 : Find(o.Price, out _);
        // Level i holds only this order and price has no level: k is where it would be inserted with level i still
        // in place. Shift the levels strictly between the two places by one and reuse the slot.
        if (k > i)
        {
            k--;
            var n = k - i;
            if (n > 0)
            {
                Array.Copy(_prices, i + 1, _prices, i, n);
                Array.Copy(_heads, i + 1, _heads, i, n);
                Array.Copy(_tails, i + 1, _tails, i, n);
                Array.Copy(_totals, i + 1, _totals, i, n);
            }
        }
        else if (k < i)
        {
            var n = i - k;
            Array.Copy(_prices, k, _prices, k + 1, n);
            Array.Copy(_heads, k, _heads, k + 1, n);
            Array.Copy(_tails, k, _tails, k + 1, n);
            Array.Copy(_totals, k, _totals, k + 1, n);
        }
        o.Price = price;
        o.Remaining = lots;
        _prices[k] = price;
        _heads[k] = _tails[k] = handle;
        _totals[k] = lots;
    }

    /// <summary>Reduces an order's remaining quantity in place (a fill or a priority-keeping amend).</summary>
    public void Reduce(int handle, long lots)
    {
        ref var o = ref _orders[handle];
        var i = _count > 0 && _prices[_count - 1] == o.Price ? _count - 1 : Find(o.Price, out _);
        o.Remaining -= lots;
        _totals[i] -= lots;
    }

    /// <summary>Binary search over the sorted prices; returns the index of the level or of where it would go.</summary>
    private int Find(long price, out bool found)
    {
        // Bids ascend (best = highest at the end); asks descend (best = lowest at the end).
        int lo = 0, hi = _count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var p = _prices[mid];
            if (p == price) { found = true; return mid; }
            if (_isBid ? p < price : p > price) lo = mid + 1; else hi = mid - 1;
        }
        found = false;
        return lo;
    }

    private int InsertLevel(int i, long price)
    {
        if (_count == _prices.Length) Grow();
        var tail = _count - i;
        if (tail > 0)
        {
            Array.Copy(_prices, i, _prices, i + 1, tail);
            Array.Copy(_heads, i, _heads, i + 1, tail);
            Array.Copy(_tails, i, _tails, i + 1, tail);
            Array.Copy(_totals, i, _totals, i + 1, tail);
        }
        _prices[i] = price;
        _heads[i] = _tails[i] = -1;
        _totals[i] = 0;
        _count++;
        return i;
    }

    private void RemoveLevel(int i)
    {
        var tail = _count - i - 1;
        if (tail > 0)
        {
            Array.Copy(_prices, i + 1, _prices, i, tail);
            Array.Copy(_heads, i + 1, _heads, i, tail);
            Array.Copy(_tails, i + 1, _tails, i, tail);
            Array.Copy(_totals, i + 1, _totals, i, tail);
        }
        _count--;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow()
    {
        var n = _prices.Length * 2;
        Array.Resize(ref _prices, n);
        Array.Resize(ref _heads, n);
        Array.Resize(ref _tails, n);
        Array.Resize(ref _totals, n);
    }
}
