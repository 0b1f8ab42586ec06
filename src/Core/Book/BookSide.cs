using System.Runtime.CompilerServices;

namespace Exchange.Core.Book;

/// <summary>
/// One side of a book: price levels kept sorted in flat arrays with the best level at the end, so the best price
/// is O(1), removing the best level is O(1), and any other level is found by binary search. Each level is a FIFO of
/// order handles (time priority). Flat arrays beat a tree here: a book has hundreds of levels, the hot activity is
/// at the top, and a memmove of a few hundred levels is cheaper than pointer chasing. The levels are one array of
/// structs, so opening or closing a level is one memmove, not one per field.
/// </summary>
internal sealed class BookSide
{
    private struct Level
    {
        public long Price;
        public long Total;
        public int Head;
        public int Tail;
    }

    private readonly OrderStore _orders;
    private readonly bool _isBid;
    private Level[] _levels;
    private int _count;

    public BookSide(OrderStore orders, bool isBid, int capacity)
    {
        _orders = orders;
        _isBid = isBid;
        _levels = new Level[capacity];
    }

    public int LevelCount => _count;
    public bool IsEmpty => _count == 0;

    /// <summary>Best price (highest bid, lowest ask); only when not empty.</summary>
    public long BestPrice => _levels[_count - 1].Price;

    /// <summary>Oldest order at the best price, or -1.</summary>
    public int BestHandle => _count == 0 ? -1 : _levels[_count - 1].Head;

    /// <summary>Level i counted from the best (0 = best): price and total lots.</summary>
    public long LevelPrice(int fromBest) => _levels[_count - 1 - fromBest].Price;
    public long LevelTotal(int fromBest) => _levels[_count - 1 - fromBest].Total;
    public int LevelHead(int fromBest) => _levels[_count - 1 - fromBest].Head;

    /// <summary>True when a taker at <paramref name="limit"/> on the other side can trade with price p of this side.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Crosses(long price, long limit) => _isBid ? price >= limit : price <= limit;

    /// <summary>Appends an order (fields set, already allocated) at the back of its price level.</summary>
    public void Add(int handle)
    {
        ref var o = ref _orders[handle];
        var i = Find(o.Price, out var found);
        if (!found) i = InsertLevel(i, o.Price);
        Append(handle, ref o, ref _levels[i]);
    }

    /// <summary>Unlinks an order from its level (removing the level when it empties). Does not release it.</summary>
    public void Remove(int handle)
    {
        ref var o = ref _orders[handle];
        var i = LevelOf(o.Price);
        ref var l = ref _levels[i];
        Unlink(ref o, ref l);
        if (l.Head < 0) RemoveLevel(i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Append(int handle, ref Order o, ref Level l)
    {
        o.Next = -1;
        o.Prev = l.Tail;
        if (l.Tail >= 0) _orders[l.Tail].Next = handle; else l.Head = handle;
        l.Tail = handle;
        l.Total += o.Remaining;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Unlink(ref Order o, ref Level l)
    {
        if (o.Prev >= 0) _orders[o.Prev].Next = o.Next; else l.Head = o.Next;
        if (o.Next >= 0) _orders[o.Next].Prev = o.Prev; else l.Tail = o.Prev;
        l.Total -= o.Remaining;
        o.Prev = o.Next = -1;
    }

    /// <summary>
    /// Moves a resting order to the back of the level at <paramref name="price"/> with <paramref name="lots"/>
    /// remaining: the same book as <see cref="Remove"/> then <see cref="Add"/> at the new price, with one binary search
    /// (for the order's own level) instead of three. The new price is looked for outward from the old level (an amend
    /// usually steps a few levels), and when the order was alone at its level and the new price has no level yet (the
    /// usual price amend in a book of mostly one-order levels), the level is carried to its new place and only the
    /// levels in between shift, instead of two memmoves of everything above the two places (a deep amend in a
    /// 700-level book moved ~16 KB).
    /// </summary>
    public void Move(int handle, long price, long lots)
    {
        ref var o = ref _orders[handle];
        var i = LevelOf(o.Price);
        var lone = o.Prev < 0 && o.Next < 0;
        if (price == o.Price)
        {
            // To the back of its own level (a lone order stays where it is).
            ref var same = ref _levels[i];
            if (!lone)
            {
                Unlink(ref o, ref same);
                o.Remaining = lots;
                Append(handle, ref o, ref same);
            }
            else
            {
                same.Total = lots;
                o.Remaining = lots;
            }
            return;
        }
        var k = FindFrom(i, price, out var found);
        if (lone && !found)
        {
            // Level i holds only this order and price has no level: k is where it would be inserted with level i still
            // in place. Shift the levels strictly between the two places by one and reuse the slot.
            if (k > i)
            {
                k--;
                var n = k - i;
                if (n > 0) _levels.AsSpan(i + 1, n).CopyTo(_levels.AsSpan(i));
            }
            else if (k < i)
            {
                _levels.AsSpan(k, i - k).CopyTo(_levels.AsSpan(k + 1));
            }
            o.Price = price;
            o.Remaining = lots;
            ref var l = ref _levels[k];
            l.Price = price;
            l.Head = l.Tail = handle;
            l.Total = lots;
            return;
        }
        Unlink(ref o, ref _levels[i]);
        if (lone)
        {
            RemoveLevel(i);
            if (k > i) k--;
        }
        o.Price = price;
        o.Remaining = lots;
        if (!found)
        {
            InsertLevel(k, price);
        }
        Append(handle, ref o, ref _levels[k]);
    }

    /// <summary>Reduces an order's remaining quantity in place (a fill or a priority-keeping amend).</summary>
    public void Reduce(int handle, long lots)
    {
        ref var o = ref _orders[handle];
        var i = LevelOf(o.Price);
        o.Remaining -= lots;
        _levels[i].Total -= lots;
    }

    /// <summary>The index of the level at <paramref name="price"/>, which exists: the best one is checked first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int LevelOf(long price) => _count > 0 && _levels[_count - 1].Price == price ? _count - 1 : Find(price, out _);

    /// <summary>
    /// Binary search over the sorted prices; returns the index of the level or of where it would go. Branch-free:
    /// each step picks a half by arithmetic on the sign of a difference, not by a jump the CPU must guess (the
    /// guessed compare of the previous search mispredicted about every other step, and searches were a quarter of the
    /// business-logic thread's time). Bids ascend (best = highest at the end); asks descend (best = lowest at the
    /// end): an ask's price is negated so that both sides search ascending keys. Prices are positive longs below
    /// 2^62, so no difference overflows.
    /// </summary>
    private int Find(long price, out bool found) => Search(0, _count, price, out found);

    /// <summary>The same as <see cref="Find"/>, searching outward from level <paramref name="from"/> first (an amend
    /// usually lands a few levels away from where it was): steps of 1, 2, 4, ... bracket the place, then a search
    /// within the bracket.</summary>
    private int FindFrom(int from, long price, out bool found)
    {
        var levels = _levels;
        var sign = _isBid ? 1L : -1L;
        var key = price * sign;
        if (levels[from].Price * sign < key)
        {
            // Upward: the place is above from.
            int lo = from + 1, step = 1;
            while (lo < _count && levels[lo].Price * sign < key)
            {
                from = lo;
                lo += step;
                step <<= 1;
            }
            var hi = Math.Min(lo, _count - 1) + 1;
            return Search(from + 1, hi, price, out found);
        }
        else
        {
            int hi = from, step = 1;
            var lo = from - 1;
            while (lo >= 0 && levels[lo].Price * sign >= key)
            {
                hi = lo;
                lo -= step;
                step <<= 1;
            }
            lo = Math.Max(lo, 0);
            return Search(lo, hi + 1, price, out found);
        }
    }

    /// <summary>The first index in [<paramref name="start"/>, <paramref name="end"/>) whose key is not below the
    /// price's, or <paramref name="end"/>, by a branch-free halving; found when that level holds the price.</summary>
    private int Search(int start, int end, long price, out bool found)
    {
        var levels = _levels;
        var sign = _isBid ? 1L : -1L;
        var key = price * sign;
        int b = start, n = end - start;
        while (n > 1)
        {
            var half = n >> 1;
            // 1 when the key at b + half - 1 is below the price's: the place is at b + half or above.
            var below = (int)((ulong)(levels[b + half - 1].Price * sign - key) >> 63);
            b += half & -below;
            n -= half;
        }
        if (n == 1 && levels[b].Price * sign < key) b++;
        found = b < end && levels[b].Price == price;
        return b;
    }

    private int InsertLevel(int i, long price)
    {
        if (_count == _levels.Length) Grow();
        var tail = _count - i;
        if (tail > 0) _levels.AsSpan(i, tail).CopyTo(_levels.AsSpan(i + 1));
        ref var l = ref _levels[i];
        l.Price = price;
        l.Head = l.Tail = -1;
        l.Total = 0;
        _count++;
        return i;
    }

    private void RemoveLevel(int i)
    {
        var tail = _count - i - 1;
        if (tail > 0) _levels.AsSpan(i + 1, tail).CopyTo(_levels.AsSpan(i));
        _count--;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow() => Array.Resize(ref _levels, _levels.Length * 2);
}
