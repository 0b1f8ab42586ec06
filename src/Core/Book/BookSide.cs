using System.Runtime.CompilerServices;

namespace Exchange.Core.Book;

/// <summary>
/// One side of a book: each price level is a FIFO of order handles (time priority) in a slot that stays put while the
/// level exists, found from its price through a direct index (<see cref="OrderIdIndex"/>: prices near each other land
/// in neighbouring cells, so a look-up is one probe); the levels' prices are also kept sorted in a flat array with
/// the best at the end, for the best price in O(1), for walking the levels in priority order, and to find where a new
/// level goes. Only opening or closing a level searches that array and shifts its entries above the place, 16 bytes
/// each (price and slot): adding to, taking from or reducing an existing level never searches. Flat arrays beat a tree
/// here: a book has hundreds of levels, the hot activity is at the top, and a memmove of a few hundred small entries
/// is cheaper than pointer chasing.
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

    /// <summary>A level in price order: its price (the sort key) and its slot in <see cref="_levels"/>.</summary>
    private struct Entry
    {
        public long Price;
        public int Slot;
    }

    private readonly OrderStore _orders;
    private readonly bool _isBid;
    private Level[] _levels;
    private int[] _freeSlots;
    private int _freeCount;
    private int _slotHigh;
    private Entry[] _entries;
    private int _count;
    private readonly OrderIdIndex _slotOf;

    public BookSide(OrderStore orders, bool isBid, int capacity)
    {
        _orders = orders;
        _isBid = isBid;
        capacity = Math.Max(capacity, 1);
        _levels = new Level[capacity];
        _freeSlots = new int[capacity];
        _entries = new Entry[capacity];
        _slotOf = new OrderIdIndex(capacity);
    }

    public int LevelCount => _count;
    public bool IsEmpty => _count == 0;

    /// <summary>Best price (highest bid, lowest ask); only when not empty.</summary>
    public long BestPrice => _entries[_count - 1].Price;

    /// <summary>Oldest order at the best price, or -1.</summary>
    public int BestHandle => _count == 0 ? -1 : _levels[_entries[_count - 1].Slot].Head;

    /// <summary>Level i counted from the best (0 = best): price and total lots.</summary>
    public long LevelPrice(int fromBest) => _entries[_count - 1 - fromBest].Price;
    public long LevelTotal(int fromBest) => _levels[_entries[_count - 1 - fromBest].Slot].Total;
    public int LevelHead(int fromBest) => _levels[_entries[_count - 1 - fromBest].Slot].Head;

    /// <summary>True when a taker at <paramref name="limit"/> on the other side can trade with price p of this side.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Crosses(long price, long limit) => _isBid ? price >= limit : price <= limit;

    /// <summary>Appends an order (fields set, already allocated) at the back of its price level.</summary>
    public void Add(int handle)
    {
        ref var o = ref _orders[handle];
        if (!_slotOf.TryGet(o.Price, out var slot)) slot = OpenLevel(Find(o.Price, out _), o.Price);
        Append(handle, ref o, ref _levels[slot]);
    }

    /// <summary>Unlinks an order from its level (removing the level when it empties). Does not release it.</summary>
    public void Remove(int handle)
    {
        ref var o = ref _orders[handle];
        var slot = SlotOf(o.Price);
        ref var l = ref _levels[slot];
        Unlink(ref o, ref l);
        if (l.Head < 0) CloseLevel(o.Price, slot);
    }

    /// <summary>
    /// Moves a resting order to the back of the level at <paramref name="price"/> with <paramref name="lots"/>
    /// remaining: the same book as <see cref="Remove"/> then <see cref="Add"/> at the new price. Both levels are found
    /// by their prices without a search; only a level that opens or closes touches the sorted array. When the order was
    /// alone at its level and the new price has no level yet (the usual price amend in a book of mostly one-order
    /// levels), the level keeps its slot and its entry moves to the new place, looked for outward from the old one (an
    /// amend usually steps a few levels): only the entries in between shift.
    /// </summary>
    public void Move(int handle, long price, long lots)
    {
        ref var o = ref _orders[handle];
        var slot = SlotOf(o.Price);
        var lone = o.Prev < 0 && o.Next < 0;
        if (price == o.Price)
        {
            // To the back of its own level (a lone order stays where it is).
            ref var same = ref _levels[slot];
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
        var hasLevel = _slotOf.TryGet(price, out var target);
        if (lone && !hasLevel)
        {
            var i = IndexOf(o.Price);
            // k is where the new price would be inserted with entry i still in place. Shift the entries strictly
            // between the two places by one and reuse entry i's slot.
            var k = FindFrom(i, price, out _);
            var entries = _entries;
            if (k > i)
            {
                k--;
                var n = k - i;
                if (n > 0) entries.AsSpan(i + 1, n).CopyTo(entries.AsSpan(i));
            }
            else if (k < i)
            {
                entries.AsSpan(k, i - k).CopyTo(entries.AsSpan(k + 1));
            }
            entries[k].Price = price;
            entries[k].Slot = slot;
            _slotOf.Remove(o.Price);
            _slotOf.Add(price, slot);
            o.Price = price;
            o.Remaining = lots;
            ref var l = ref _levels[slot];
            l.Price = price;
            l.Head = l.Tail = handle;
            l.Total = lots;
            return;
        }
        Unlink(ref o, ref _levels[slot]);
        if (lone) CloseLevel(o.Price, slot);
        o.Price = price;
        o.Remaining = lots;
        if (!hasLevel) target = OpenLevel(Find(price, out _), price);
        Append(handle, ref o, ref _levels[target]);
    }

    /// <summary>Reduces an order's remaining quantity in place (a fill or a priority-keeping amend).</summary>
    public void Reduce(int handle, long lots)
    {
        ref var o = ref _orders[handle];
        var slot = SlotOf(o.Price);
        o.Remaining -= lots;
        _levels[slot].Total -= lots;
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

    /// <summary>The slot of the level at <paramref name="price"/>, which exists: the best one is checked first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int SlotOf(long price)
    {
        if (_count > 0 && _entries[_count - 1].Price == price) return _entries[_count - 1].Slot;
        _slotOf.TryGet(price, out var slot);
        return slot;
    }

    /// <summary>The index in the sorted array of the level at <paramref name="price"/>, which exists.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int IndexOf(long price) => _entries[_count - 1].Price == price ? _count - 1 : Find(price, out _);

    /// <summary>Opens an empty level at <paramref name="price"/>, whose place in the sorted array is
    /// <paramref name="i"/>; returns its slot.</summary>
    private int OpenLevel(int i, long price)
    {
        if (_count == _entries.Length) GrowEntries();
        var tail = _count - i;
        if (tail > 0) _entries.AsSpan(i, tail).CopyTo(_entries.AsSpan(i + 1));
        int slot;
        if (_freeCount > 0) slot = _freeSlots[--_freeCount];
        else
        {
            if (_slotHigh == _levels.Length) GrowLevels();
            slot = _slotHigh++;
        }
        _entries[i].Price = price;
        _entries[i].Slot = slot;
        _count++;
        ref var l = ref _levels[slot];
        l.Price = price;
        l.Head = l.Tail = -1;
        l.Total = 0;
        _slotOf.Add(price, slot);
        return slot;
    }

    /// <summary>Closes the (empty) level at <paramref name="price"/> in <paramref name="slot"/>.</summary>
    private void CloseLevel(long price, int slot)
    {
        var i = IndexOf(price);
        var tail = _count - i - 1;
        if (tail > 0) _entries.AsSpan(i + 1, tail).CopyTo(_entries.AsSpan(i));
        _count--;
        _freeSlots[_freeCount++] = slot;
        _slotOf.Remove(price);
    }

    /// <summary>
    /// Binary search over the sorted prices; returns the index of the level or of where it would go. Branch-free:
    /// each step picks a half by arithmetic on the sign of a difference, not by a jump the CPU must guess (the
    /// guessed compare of the previous search mispredicted about every other step, and searches were a quarter of the
    /// business-logic thread's time). Bids ascend (best = highest at the end); asks descend (best = lowest at the
    /// end): an ask's price is negated so that both sides search ascending keys. Resting prices are positive and at
    /// most twice <see cref="Instruments.InstrumentSpec.MaxNotional"/> (2^61), so no difference overflows.
    /// </summary>
    private int Find(long price, out bool found) => Search(0, _count, price, out found);

    /// <summary>The same as <see cref="Find"/>, searching outward from level <paramref name="from"/> first (an amend
    /// usually lands a few levels away from where it was): steps of 1, 2, 4, ... bracket the place, then a search
    /// within the bracket.</summary>
    private int FindFrom(int from, long price, out bool found)
    {
        var levels = _entries;
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
        var levels = _entries;
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

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void GrowEntries() => Array.Resize(ref _entries, _entries.Length * 2);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void GrowLevels()
    {
        Array.Resize(ref _levels, _levels.Length * 2);
        Array.Resize(ref _freeSlots, _levels.Length);
    }
}
