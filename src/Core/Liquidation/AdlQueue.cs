using System.Runtime.CompilerServices;
using Exchange.Core.Accounts;
using Exchange.Core.Events;
using Exchange.Core.Instruments;
using Exchange.Core.Risk;

namespace Exchange.Core.Liquidation;

/// <summary>
/// The auto-deleveraging queue (RULEBOOK section 8 step 3): the holders of one side of an instrument ranked by
/// BitMEX's score, profit ratio times effective leverage. Scores move with every mark, so a trader's indicator query
/// ranks the side from the instrument's holder list into a reused buffer. An ADL takes only the first few of the queue,
/// so it is served from a heap rather than a full sort, and the heap keeps only its best entries heapified
/// (<see cref="SideHeap"/>): the same order, since the ranking is a strict total order (score, then account id).
/// <para>
/// Within one liquidation run (one command: the marks do not move) a side is scored once, when its first position
/// is deleveraged, and its heap is kept for the next ones. A holder's score changes only when its balance or a
/// position does, and every such change is an event naming the account (<see cref="EventTouches"/>): before each ADL
/// the new events are read, each touched account's version goes up, and the touched accounts that hold the side are
/// pushed again with their score now. An entry whose version is not its account's current one is stale and skipped
/// when it comes to the top. So the heap always yields exactly the order a fresh ranking would, at O(log n) per
/// change instead of O(n) per deleveraged position: a cascade of thousands of bankruptcies against ten thousand
/// holders no longer rescores the whole side for each (docs/benchmarks.md).
/// </para>
/// </summary>
internal sealed class AdlQueue
{
    private readonly AccountStore _accounts;
    private readonly InstrumentTable _instruments;
    private readonly MarginCalculator _margin;
    private readonly EventBuffer _events;
    private AdlRank[] _ranks = new AdlRank[256];
    // The heaps of the current run, one per side (2 x instrument + 1 for longs), built on first use in the run.
    private SideHeap[] _sides = [];
    private SideHeap? _taking;
    // Per account: bumped whenever an event touches it (wraps harmlessly: only equality is asked, within one run).
    private uint[] _version = new uint[256];
    // The accounts touched during the run, in order, with the version each touch gave; and how far the run's events
    // have been read.
    private int[] _log = new int[256];
    private uint[] _logVersion = new uint[256];
    private int _logCount;
    private int _scanned;
    private long _run;

    public AdlQueue(AccountStore accounts, InstrumentTable instruments, MarginCalculator margin, EventBuffer events)
    {
        _accounts = accounts;
        _instruments = instruments;
        _margin = margin;
        _events = events;
    }

    /// <summary>
    /// A liquidation run begins (within a command, after its other events): the heaps of the previous run are
    /// stale, since marks and accounts changed since.
    /// </summary>
    public void BeginRun()
    {
        _run++;
        _logCount = 0;
        _scanned = _events.Count;
        _taking = null;
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
    /// Readies the ranked holders of <paramref name="instrument"/> on one side for taking, best first, with
    /// <see cref="TryTakeBest"/>, in <see cref="Rank"/>'s order as of now. Call <see cref="BeginRun"/> first in each
    /// liquidation run; valid until the next call.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void BeginTaking(int instrument, bool longs)
    {
        ReadTouches();
        var index = 2 * instrument + (longs ? 1 : 0);
        if (index >= _sides.Length) GrowSides(index);
        var side = _sides[index] ??= new SideHeap();
        if (side.Run != _run) Build(side, instrument, longs);
        else Catch(side, instrument, longs);
        _taking = side;
    }

    /// <summary>The best remaining candidate of the queue <see cref="BeginTaking"/> readied; false when none is left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryTakeBest(out AdlRank best)
    {
        var side = _taking;
        while (side is not null && side.Count > 0)
        {
            var top = side.Pop();
            if (top.Version == _version[top.AccountId])
            {
                best = new AdlRank(top.Score, top.AccountId);
                return true;
            }
        }
        best = default;
        return false;
    }

    /// <summary>Bumps the version of every account the events since the last read touched, and logs the touch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReadTouches()
    {
        var n = _events.Count;
        for (; _scanned < n; _scanned++)
        {
            var touched = EventTouches.Accounts(in _events[_scanned], out var first, out var second, out _);
            if (touched > 0) Touch(first);
            if (touched > 1) Touch(second);
        }
    }

    private void Touch(int account)
    {
        if (account <= 0) return;
        if (account >= _version.Length) Array.Resize(ref _version, Math.Max(account + 1, _version.Length * 2));
        if (_logCount == _log.Length)
        {
            Array.Resize(ref _log, _log.Length * 2);
            Array.Resize(ref _logVersion, _log.Length);
        }
        var v = ++_version[account];
        _log[_logCount] = account;
        _logVersion[_logCount++] = v;
    }

    /// <summary>Scores every holder of the side now and heapifies.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Build(SideHeap side, int instrument, bool longs)
    {
        var holders = _accounts.Holders(instrument, longs);
        side.Reset(holders.Length, _run, _logCount);
        foreach (var h in holders)
        {
            if (h >= _version.Length) Array.Resize(ref _version, Math.Max(h + 1, _version.Length * 2));
            // Scored straight into the entry's slot (no 32- and 64-byte copies through the stack).
            ref var slot = ref side.NextSlot();
            slot.AccountId = h;
            slot.Version = _version[h];
            Score(h, instrument, out slot.Score);
            side.AddSlot();
        }
        side.EndBuild();
    }

    /// <summary>
    /// Starts building the side's heap inside a pass over its holders that someone else makes (the socializer's
    /// measuring pass, which reads each holder's current sums anyway): what <see cref="BeginTaking"/>'s build would
    /// do now, scored from the values that pass already holds. Returns null when the side was already built in this
    /// run (then <see cref="BeginTaking"/> catches it up as usual). The touches so far are read first, so the entries
    /// carry the versions a build now would give them and the side is synced to now; anything that changes a holder
    /// later is an event, pushed again by <see cref="Catch"/> with its new score, exactly as for a side built by an
    /// earlier liquidation of the run. So the pops are those of a build at <see cref="BeginTaking"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal SideHeap? BeginBuildWith(int instrument, bool longs)
    {
        ReadTouches();
        var index = 2 * instrument + (longs ? 1 : 0);
        if (index >= _sides.Length) GrowSides(index);
        var side = _sides[index] ??= new SideHeap();
        if (side.Run == _run) return null;
        var holders = _accounts.Holders(instrument, longs);
        side.Reset(holders.Length, _run, _logCount);
        // Reset marks the side built in this run: it must receive every holder before anything takes from it.
        if (_version.Length <= _accounts.MaxId) Array.Resize(ref _version, Math.Max(_accounts.MaxId + 1, _version.Length * 2));
        return side;
    }

    /// <summary>
    /// Adds one holder of the side being built by <see cref="BeginBuildWith"/>, in holder order, with its upnl in the
    /// instrument and its equity (balance + the Int128 sum of its upnl, cast as <see cref="Score(int, int, out AdlScore)"/>
    /// casts it): the same entry <see cref="Build"/> writes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void AddHolder(SideHeap side, int account, long upnl, long cost, long qty, Instrument ins, long equity)
    {
        ref var slot = ref side.NextSlot();
        slot.AccountId = account;
        slot.Version = _version[account];
        AdlScore.Of(upnl, cost, qty, ins.Mark, ins.TickValue, equity, out slot.Score);
        side.AddSlot();
    }

    /// <summary><see cref="AddHolder(SideHeap, int, long, long, long, Instrument, long)"/> scored from the account's
    /// state as <see cref="Build"/> scores it.</summary>
    internal void AddHolder(SideHeap side, int account, int instrument)
    {
        ref var slot = ref side.NextSlot();
        slot.AccountId = account;
        slot.Version = _version[account];
        Score(account, instrument, out slot.Score);
        side.AddSlot();
    }

    /// <summary>Pushes, with its score now, each account touched since the side last caught up that holds the side.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Catch(SideHeap side, int instrument, bool longs)
    {
        for (var i = side.Synced; i < _logCount; i++)
        {
            var a = _log[i];
            // A later touch of the same account is later in the log: only the latest counts.
            if (_logVersion[i] != _version[a]) continue;
            var q = _accounts.Position(a, instrument).Qty;
            if (longs ? q > 0 : q < 0) side.Push(new HeapEntry { Score = Score(a, instrument), AccountId = a, Version = _logVersion[i] });
        }
        side.Synced = _logCount;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void GrowSides(int index) => Array.Resize(ref _sides, Math.Max(index + 1, 2 * _instruments.Count));

    private Span<AdlRank> Score(int instrument, bool longs)
    {
        var holders = _accounts.Holders(instrument, longs);
        if (_ranks.Length < holders.Length) _ranks = new AdlRank[Math.Max(holders.Length, _ranks.Length * 2)];
        for (var i = 0; i < holders.Length; i++) _ranks[i] = new AdlRank(Score(holders[i], instrument), holders[i]);
        return _ranks.AsSpan(0, holders.Length);
    }

    /// <summary>
    /// The holder's score (<see cref="AdlScore.Of(long, long, long, long, long, long)"/>: 64-bit where provably exact, else 128/256-bit). Its equity is
    /// summed here with the upnl already computed for this instrument, the same Int128 sum as
    /// <see cref="MarginCalculator.Equity"/> without recomputing that upnl.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public AdlScore Score(int account, int instrument)
    {
        Score(account, instrument, out var score);
        return score;
    }

    /// <summary><see cref="Score(int, int)"/> written to <paramref name="score"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Score(int account, int instrument, out AdlScore score)
    {
        ref var p = ref _accounts.Position(account, instrument);
        var ins = _instruments[instrument];
        var upnl = _margin.Upnl(account, instrument);
        Int128 equity = _accounts.Balance(account);
        ref var sums = ref _accounts.Sums(account);
        // Current sums (a socialization's payers were measured through them) hold the same Int128 sum of upnl.
        if (sums.Epoch == _instruments.MarkEpoch) equity += sums.Upnl;
        else
            for (var mask = _accounts.HeldMask(account); mask != 0; mask &= mask - 1)
            {
                var i = System.Numerics.BitOperations.TrailingZeroCount(mask);
                equity += i == instrument ? upnl : _margin.Upnl(account, i);
            }
        AdlScore.Of(upnl, p.Cost, p.Qty, ins.Mark, ins.TickValue, (long)equity, out score);
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

    /// <summary>A heap entry: the rank (score, account) and the version of its account when it was scored. Mutable
    /// fields, so a build writes the score in place.</summary>
    internal struct HeapEntry
    {
        public AdlScore Score;
        public int AccountId;
        public uint Version;

        /// <summary>Whether <paramref name="a"/> ranks after <paramref name="b"/> or is it (<see cref="Compare"/> &gt;= 0),
        /// decided on the halves of the scores with one test each for equality and order.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool RanksAfter(in HeapEntry a, in HeapEntry b)
        {
            if (a.Score.High != b.Score.High) return a.Score.High < b.Score.High;
            if (a.Score.Low != b.Score.Low) return a.Score.Low < b.Score.Low;
            return a.AccountId >= b.AccountId;
        }

        /// <summary><see cref="AdlRank.CompareTo"/> of the two ranks: score descending, then lower account id.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Compare(in HeapEntry a, in HeapEntry b)
        {
            var c = b.Score.CompareTo(a.Score);
            return c != 0 ? c : a.AccountId.CompareTo(b.AccountId);
        }
    }

    /// <summary>
    /// One side's queue for a run: the best (smallest in <see cref="AdlRank"/>'s order) comes out first. An ADL usually
    /// takes a few counterparties of thousands, so a build keeps only the <see cref="HotSize"/> best entries in the
    /// heap (found in one pass with a bounded max-heap: an entry worse than the worst kept costs one comparison and
    /// a sequential store) and the others, unordered, in a cold list, every one of them worse than
    /// <see cref="_threshold"/> (the worst entry kept when the build ended). <see cref="Pop"/> returns the smallest of
    /// heap and cold list together: while the heap's top is no worse than the threshold it is smaller than every cold
    /// entry; otherwise (or when the heap is empty) the cold list is first merged into the heap and heapified, which is
    /// the full build's O(n) paid only when an ADL reaches that deep. Pushes go to the heap. So the pops are exactly
    /// those of one heap of every entry (the order is a strict total order), without heapifying ten thousand entries
    /// to take ten (docs/benchmarks.md).
    /// </summary>
    internal sealed class SideHeap
    {
        /// <summary>Entries a build keeps in the heap.</summary>
        internal const int HotSize = 64;
        private HeapEntry[] _items = new HeapEntry[16];
        private HeapEntry[] _cold = new HeapEntry[16];
        private int _count;
        private int _coldCount;
        private HeapEntry _threshold;

        /// <summary>Entries left, in the heap and the cold list.</summary>
        public int Count => _count + _coldCount;
        /// <summary>Entries in the cold list (tests).</summary>
        internal int ColdCount => _coldCount;
        /// <summary>The run it was built in.</summary>
        public long Run { get; private set; } = -1;
        /// <summary>How much of the run's touch log it has caught up with.</summary>
        public int Synced { get; set; }

        public void Reset(int capacity, long run, int synced)
        {
            if (_items.Length < Math.Min(capacity, HotSize)) _items = new HeapEntry[Math.Max(Math.Min(capacity, HotSize), _items.Length * 2)];
            if (_cold.Length < capacity) _cold = new HeapEntry[Math.Max(capacity, _cold.Length * 2)];
            _count = 0;
            _coldCount = 0;
            Run = run;
            Synced = synced;
        }

        /// <summary>Where a build writes its next entry (then <see cref="AddSlot"/>): the heap's next slot while it
        /// holds fewer than <see cref="HotSize"/>, else the cold list's.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ref HeapEntry NextSlot() => ref (_count < HotSize ? ref _items[_count] : ref _cold[_coldCount]);

        /// <summary>Adds the entry written at <see cref="NextSlot"/>: to the heap (a max-heap while building) while it
        /// holds fewer than <see cref="HotSize"/>, else the worse of it and the heap's worst goes to the cold list.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void AddSlot()
        {
            // Inlined: most entries of a large side rank after the worst kept and just stay in the cold list.
            if (_count >= HotSize && HeapEntry.RanksAfter(_cold[_coldCount], _items[0])) _coldCount++;
            else AddSlotSlow();
        }

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private void AddSlotSlow()
        {
            if (_count < HotSize)
            {
                if (++_count == HotSize)
                    for (var i = HotSize / 2 - 1; i >= 0; i--) SiftDownWorst(i);
                return;
            }
            ref var e = ref _cold[_coldCount++];
            if (HeapEntry.Compare(e, _items[0]) < 0)
            {
                (e, _items[0]) = (_items[0], e);
                SiftDownWorst(0);
            }
        }

        /// <summary>Ends a build: notes the threshold and turns the kept entries into the (best-first) heap.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void EndBuild()
        {
            // With a cold list the heap is full and a max-heap: its top is the worst entry kept.
            if (_coldCount > 0) _threshold = _items[0];
            Heapify();
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Heapify()
        {
            for (var i = _count / 2 - 1; i >= 0; i--) SiftDown(i);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Push(HeapEntry e)
        {
            if (_count == _items.Length) Array.Resize(ref _items, _items.Length * 2);
            var i = _count++;
            while (i > 0)
            {
                var parent = (i - 1) / 2;
                if (HeapEntry.Compare(_items[parent], e) <= 0) break;
                _items[i] = _items[parent];
                i = parent;
            }
            _items[i] = e;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public HeapEntry Pop()
        {
            if (_coldCount > 0 && (_count == 0 || HeapEntry.Compare(_items[0], _threshold) > 0)) MergeCold();
            var top = _items[0];
            if (--_count > 0)
            {
                _items[0] = _items[_count];
                SiftDown(0);
            }
            return top;
        }

        /// <summary>Moves the cold list into the heap and heapifies: then the heap holds every entry left.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private void MergeCold()
        {
            if (_items.Length < _count + _coldCount) Array.Resize(ref _items, Math.Max(_count + _coldCount, _items.Length * 2));
            _cold.AsSpan(0, _coldCount).CopyTo(_items.AsSpan(_count));
            _count += _coldCount;
            _coldCount = 0;
            Heapify();
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void SiftDown(int i)
        {
            var item = _items[i];
            while (true)
            {
                var child = 2 * i + 1;
                if (child >= _count) break;
                if (child + 1 < _count && HeapEntry.Compare(_items[child + 1], _items[child]) < 0) child++;
                if (HeapEntry.Compare(_items[child], item) >= 0) break;
                _items[i] = _items[child];
                i = child;
            }
            _items[i] = item;
        }

        /// <summary>SiftDown of the build's max-heap (the worst entry on top).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void SiftDownWorst(int i)
        {
            var item = _items[i];
            while (true)
            {
                var child = 2 * i + 1;
                if (child >= _count) break;
                if (child + 1 < _count && HeapEntry.Compare(_items[child + 1], _items[child]) > 0) child++;
                if (HeapEntry.Compare(_items[child], item) <= 0) break;
                _items[i] = _items[child];
                i = child;
            }
            _items[i] = item;
        }
    }
}
