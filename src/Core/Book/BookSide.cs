using System.Numerics;
using System.Runtime.CompilerServices;

namespace Exchange.Core.Book;

/// <summary>
/// One side of a book: each price level is a FIFO of order handles (time priority) in a slot that stays put while the
/// level exists. Levels are found by price through a price ladder: a direct array over a window of ticks (by default
/// 8,192, placed around the best price with most of it on the side's worse prices) holding each level's slot, with a
/// bitmap of the occupied ticks and a summary bitmap of its non-empty words, so finding a level, opening and closing
/// one and stepping to the next worse level are O(1) (a few word scans), with no search and nothing shifted. A level
/// outside the window lives in a flat array sorted by priority (best at the end), found by binary search and through a
/// direct index from price to slot (<see cref="OrderIdIndex"/>); those levels are either all better or all worse
/// than every level in the window, so walking the side in priority order is the better part of that array, the window,
/// then its worse part. When most levels are outside the window (the market moved away from where the window was
/// placed), the window is placed again around the best price, at most once per as many level openings as there are
/// levels; an empty side places it around its first level.
/// </summary>
internal sealed class BookSide
{
    /// <summary>Ticks the window covers unless the constructor says otherwise (a multiple of 64).</summary>
    public const int DefaultWindow = 8192;

    private struct Level
    {
        public long Price;
        public long Total;
        public int Head;
        public int Tail;
    }

    /// <summary>A level outside the window, in priority order: its price and its slot in <see cref="_levels"/>.</summary>
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
    private int _count;

    // The window: tick origin + c holds slot _cells[c] - 1 (0 = no level); bit c of _bits is set for every level, bit
    // w of _summary for every non-zero word w of _bits. _windowBest is the best occupied cell, -1 when none.
    private readonly int _window;
    private readonly int[] _cells;
    private readonly ulong[] _bits;
    private readonly ulong[] _summary;
    private long _origin;
    private int _inWindow;
    private int _windowBest = -1;
    private int _openedSinceRecenter;

    // Levels outside the window, ascending priority (bids by price, asks by negated price); the first _worseCount are
    // worse than the window, the rest better. _slotOf finds their slots by price.
    private Entry[] _entries;
    private int _outCount;
    private int _worseCount;
    private readonly OrderIdIndex _slotOf;

    public BookSide(OrderStore orders, bool isBid, int capacity, int window = DefaultWindow)
    {
        if (window < 64 || window % 64 != 0) throw new ArgumentOutOfRangeException(nameof(window), window, "a positive multiple of 64");
        _orders = orders;
        _isBid = isBid;
        capacity = Math.Max(capacity, 1);
        _levels = new Level[capacity];
        _freeSlots = new int[capacity];
        _entries = new Entry[capacity];
        _slotOf = new OrderIdIndex(capacity);
        _window = window;
        _cells = new int[window];
        _bits = new ulong[window / 64];
        _summary = new ulong[(_bits.Length + 63) / 64];
    }

    public int LevelCount => _count;

    /// <summary>Levels outside the window (tests: both kinds of level must be exercised).</summary>
    internal int OutsideLevels => _outCount;
    public bool IsEmpty => _count == 0;

    /// <summary>Best price (highest bid, lowest ask); only when not empty.</summary>
    public long BestPrice => _windowBest >= 0 && _outCount == _worseCount ? _origin + _windowBest : _entries[_outCount - 1].Price;

    /// <summary>Oldest order at the best price, or -1.</summary>
    public int BestHandle => _count == 0 ? -1 : _levels[BestSlot].Head;

    private int BestSlot => _windowBest >= 0 && _outCount == _worseCount ? _cells[_windowBest] - 1 : _entries[_outCount - 1].Slot;

    /// <summary>
    /// The best level, as a place to read with <see cref="PriceAt"/>, <see cref="TotalAt"/> and <see cref="HeadAt"/> and
    /// to step from with <see cref="NextLevel"/>; -1 when the side is empty. A place is a window cell (0 or more) or
    /// -2 - i for entry i of the outside array; it is valid until the side next changes.
    /// </summary>
    public int FirstLevel()
    {
        if (_outCount > _worseCount) return -2 - (_outCount - 1);
        if (_windowBest >= 0) return _windowBest;
        return _worseCount > 0 ? -2 - (_worseCount - 1) : -1;
    }

    /// <summary>The next worse level after <paramref name="at"/>, or -1 after the worst.</summary>
    public int NextLevel(int at)
    {
        if (at >= 0)
        {
            var c = _isBid ? PrevSet(at) : NextSet(at);
            if (c >= 0) return c;
            return _worseCount > 0 ? -2 - (_worseCount - 1) : -1;
        }
        var i = -2 - at;
        if (i > _worseCount) return -2 - (i - 1);
        if (i == _worseCount && _windowBest >= 0) return _windowBest;
        return i > 0 ? -2 - (i - 1) : -1;
    }

    public long PriceAt(int at) => at >= 0 ? _origin + at : _entries[-2 - at].Price;
    public long TotalAt(int at) => _levels[SlotAt(at)].Total;
    public int HeadAt(int at) => _levels[SlotAt(at)].Head;
    private int SlotAt(int at) => at >= 0 ? _cells[at] - 1 : _entries[-2 - at].Slot;

    /// <summary>Level i counted from the best (0 = best): a walk of i steps, for tests and cold paths.</summary>
    public long LevelPrice(int fromBest) => PriceAt(Walk(fromBest));
    public long LevelTotal(int fromBest) => TotalAt(Walk(fromBest));
    public int LevelHead(int fromBest) => HeadAt(Walk(fromBest));

    private int Walk(int fromBest)
    {
        var at = FirstLevel();
        for (var i = 0; i < fromBest; i++) at = NextLevel(at);
        return at;
    }

    /// <summary>True when a taker at <paramref name="limit"/> on the other side can trade with price p of this side.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Crosses(long price, long limit) => _isBid ? price >= limit : price <= limit;

    /// <summary>Appends an order (fields set, already allocated) at the back of its price level.</summary>
    public void Add(int handle)
    {
        ref var o = ref _orders[handle];
        if (!TryGetSlot(o.Price, out var slot)) slot = OpenLevel(o.Price);
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
    /// remaining: the same book as <see cref="Remove"/> then <see cref="Add"/> at the new price. When the order was
    /// alone at its level and the new price has no level yet (the usual price amend in a book of mostly one-order
    /// levels), the level keeps its slot and only changes its price.
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
        var hasLevel = TryGetSlot(price, out var target);
        if (lone && !hasLevel)
        {
            Detach(o.Price, slot);
            Attach(price, slot);
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
        if (!hasLevel) target = OpenLevel(price);
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

    /// <summary>The slot of the level at <paramref name="price"/>, which exists.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int SlotOf(long price)
    {
        var c = price - _origin;
        if ((ulong)c < (ulong)_window) return _cells[c] - 1;
        _slotOf.TryGet(price, out var slot);
        return slot;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryGetSlot(long price, out int slot)
    {
        var c = price - _origin;
        if ((ulong)c < (ulong)_window)
        {
            slot = _cells[c] - 1;
            return slot >= 0;
        }
        return _slotOf.TryGet(price, out slot);
    }

    /// <summary>Opens an empty level at <paramref name="price"/>; returns its slot.</summary>
    private int OpenLevel(long price)
    {
        int slot;
        if (_freeCount > 0) slot = _freeSlots[--_freeCount];
        else
        {
            if (_slotHigh == _levels.Length) GrowLevels();
            slot = _slotHigh++;
        }
        ref var l = ref _levels[slot];
        l.Price = price;
        l.Head = l.Tail = -1;
        l.Total = 0;
        Attach(price, slot);
        return slot;
    }

    /// <summary>Closes the (empty) level at <paramref name="price"/> in <paramref name="slot"/>.</summary>
    private void CloseLevel(long price, int slot)
    {
        Detach(price, slot);
        _freeSlots[_freeCount++] = slot;
    }

    /// <summary>Makes <paramref name="slot"/> the level at <paramref name="price"/> (which has none).</summary>
    private void Attach(long price, int slot)
    {
        // An empty side places its window around its first level.
        if (_count == 0) Place(price);
        _count++;
        _openedSinceRecenter++;
        var c = price - _origin;
        if ((ulong)c < (ulong)_window)
        {
            PutInWindow((int)c, slot);
            return;
        }
        InsertOutside(price, slot);
        // Most levels outside: place the window again around the best price, at most once per _count openings so
        // that a side wider than the window does not do it at every opening.
        if (_outCount > _inWindow && _openedSinceRecenter >= _count) Recenter();
    }

    /// <summary>Removes the level at <paramref name="price"/> (in <paramref name="slot"/>) from the window or the outside array.</summary>
    private void Detach(long price, int slot)
    {
        _count--;
        var c = price - _origin;
        if ((ulong)c < (ulong)_window)
        {
            var cell = (int)c;
            _cells[cell] = 0;
            var w = cell >> 6;
            if ((_bits[w] &= ~(1UL << cell)) == 0) _summary[w >> 6] &= ~(1UL << w);
            _inWindow--;
            if (cell == _windowBest) _windowBest = _isBid ? PrevSet(cell) : NextSet(cell);
            return;
        }
        var i = Search(0, _outCount, price, out _);
        var tail = _outCount - i - 1;
        if (tail > 0) _entries.AsSpan(i + 1, tail).CopyTo(_entries.AsSpan(i));
        _outCount--;
        if (IsWorseThanWindow(price)) _worseCount--;
        _slotOf.Remove(price);
    }

    private void PutInWindow(int cell, int slot)
    {
        _cells[cell] = slot + 1;
        var w = cell >> 6;
        _bits[w] |= 1UL << cell;
        _summary[w >> 6] |= 1UL << w;
        _inWindow++;
        if (_windowBest < 0 || (_isBid ? cell > _windowBest : cell < _windowBest)) _windowBest = cell;
    }

    private void InsertOutside(long price, int slot)
    {
        if (_outCount == _entries.Length) GrowEntries();
        var i = Search(0, _outCount, price, out _);
        var tail = _outCount - i;
        if (tail > 0) _entries.AsSpan(i, tail).CopyTo(_entries.AsSpan(i + 1));
        _entries[i].Price = price;
        _entries[i].Slot = slot;
        _outCount++;
        if (IsWorseThanWindow(price)) _worseCount++;
        _slotOf.Add(price, slot);
    }

    /// <summary>For a price outside the window: whether it is worse than every price in it.</summary>
    private bool IsWorseThanWindow(long price) => _isBid ? price < _origin : price >= _origin + _window;

    /// <summary>Puts the window's origin so that <paramref name="best"/> sits an eighth of the window from its better
    /// end: a side's levels lie behind its best, and the best moves both ways.</summary>
    private void Place(long best) => _origin = _isBid ? best - _window + _window / 8 : best - _window / 8;

    /// <summary>
    /// Places the window around the best price again: every level goes into the sorted array (the window's between its
    /// worse and better parts, in order), then those inside the new window move into it. O(levels + window / 64).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Recenter()
    {
        _openedSinceRecenter = 0;
        if (_inWindow > 0)
        {
            while (_outCount + _inWindow > _entries.Length) GrowEntries();
            var better = _outCount - _worseCount;
            if (better > 0) _entries.AsSpan(_worseCount, better).CopyTo(_entries.AsSpan(_worseCount + _inWindow));
            var j = _worseCount;
            // Ascending priority: bids by ascending cell, asks by descending cell.
            for (var c = _isBid ? NextSet(-1) : PrevSet(_window); c >= 0; c = _isBid ? NextSet(c) : PrevSet(c))
            {
                var price = _origin + c;
                var slot = _cells[c] - 1;
                _entries[j].Price = price;
                _entries[j].Slot = slot;
                j++;
                _slotOf.Add(price, slot);
                _cells[c] = 0;
            }
            Array.Clear(_bits);
            Array.Clear(_summary);
            _outCount += _inWindow;
            _inWindow = 0;
            _windowBest = -1;
        }
        Place(_entries[_outCount - 1].Price);
        var k = 0;
        _worseCount = 0;
        for (var i = 0; i < _outCount; i++)
        {
            var e = _entries[i];
            var c = e.Price - _origin;
            if ((ulong)c < (ulong)_window)
            {
                PutInWindow((int)c, e.Slot);
                _slotOf.Remove(e.Price);
                continue;
            }
            _entries[k++] = e;
            if (IsWorseThanWindow(e.Price)) _worseCount++;
        }
        _outCount = k;
    }

    /// <summary>The highest occupied cell below <paramref name="cell"/>, or -1.</summary>
    private int PrevSet(int cell)
    {
        if (cell <= 0) return -1;
        cell--;
        var w = cell >> 6;
        var m = _bits[w] & (ulong.MaxValue >> (63 - (cell & 63)));
        if (m != 0) return (w << 6) + 63 - BitOperations.LeadingZeroCount(m);
        if (--w < 0) return -1;
        var s = w >> 6;
        var sm = _summary[s] & (ulong.MaxValue >> (63 - (w & 63)));
        while (true)
        {
            if (sm != 0)
            {
                var word = (s << 6) + 63 - BitOperations.LeadingZeroCount(sm);
                return (word << 6) + 63 - BitOperations.LeadingZeroCount(_bits[word]);
            }
            if (--s < 0) return -1;
            sm = _summary[s];
        }
    }

    /// <summary>The lowest occupied cell above <paramref name="cell"/>, or -1.</summary>
    private int NextSet(int cell)
    {
        if (++cell >= _window) return -1;
        var w = cell >> 6;
        var m = _bits[w] & (ulong.MaxValue << (cell & 63));
        if (m != 0) return (w << 6) + BitOperations.TrailingZeroCount(m);
        if (++w >= _bits.Length) return -1;
        var s = w >> 6;
        var sm = _summary[s] & (ulong.MaxValue << (w & 63));
        while (true)
        {
            if (sm != 0)
            {
                var word = (s << 6) + BitOperations.TrailingZeroCount(sm);
                return (word << 6) + BitOperations.TrailingZeroCount(_bits[word]);
            }
            if (++s >= _summary.Length) return -1;
            sm = _summary[s];
        }
    }

    /// <summary>
    /// The first index in [<paramref name="start"/>, <paramref name="end"/>) of the outside array whose key is not
    /// below the price's, or <paramref name="end"/>, by a branch-free halving (the sign of a difference picks the
    /// half); found when that entry holds the price. Bids ascend by price; an ask's price is negated so both sides
    /// search ascending keys. Resting prices are positive and at most twice
    /// <see cref="Instruments.InstrumentSpec.MaxNotional"/> (2^61), so no difference overflows.
    /// </summary>
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
