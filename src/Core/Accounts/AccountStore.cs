using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using Exchange.Core.Commands;
using Exchange.Core.Instruments;
using Exchange.Core.Journal;
using Exchange.Core.Risk;
using static Exchange.Core.Instruments.FixedPoint;

namespace Exchange.Core.Accounts;

/// <summary>
/// Accounts in flat arrays indexed by id (1-based), with positions stored densely per (account, instrument) and a
/// bit mask of the instruments each account is active in, so that margin sums visit only those. Grows on demand
/// (out of line) so the steady state never allocates.
/// </summary>
internal sealed class AccountStore
{
    private readonly int _stride;
    private readonly InstrumentTable _instruments;
    private MarginSums[] _sums;
    private AccountRecord[] _records;
    private Position[] _positions;
    // A snapshot capture whose positions are still being copied (CopyTo with defer): the image, the next account id
    // CopyDeferredPositions takes, and the ids the capture covered.
    private SnapshotImage? _deferred;
    private int _deferredNext, _deferredEnd;
    private readonly int[][] _holders;
    private readonly int[] _holderCount;

    public AccountStore(int capacity, int maxInstruments, InstrumentTable instruments)
    {
        _instruments = instruments;
        if (maxInstruments is < 1 or > 64) throw new ArgumentOutOfRangeException(nameof(maxInstruments), "1..64");
        _stride = maxInstruments;
        capacity = Math.Max(capacity, 2);
        _records = new AccountRecord[capacity];
        _positions = new Position[capacity * _stride];
        _sums = new MarginSums[capacity];
        _holders = new int[2 * _stride][];
        _holderCount = new int[2 * _stride];
        // Sized from the account capacity so a population that grows into it does not reallocate in steady state.
        for (var i = 0; i < _holders.Length; i++) _holders[i] = new int[Math.Max(16, capacity / 2)];
    }

    /// <summary>Accounts holding a long (or short) position in the instrument, in no particular order. Kept per side
    /// so the ADL queue ranks only the side it needs.</summary>
    public ReadOnlySpan<int> Holders(int instrument, bool longs)
    {
        var list = HolderList(instrument, longs ? 1 : -1);
        return new(_holders[list], 0, _holderCount[list]);
    }

    private static int HolderList(int instrument, int sign) => 2 * instrument + (sign > 0 ? 0 : 1);

    /// <summary>Highest account id created so far; ids 1..MaxId may exist.</summary>
    public int MaxId { get; private set; }

    public bool Exists(int id) => (uint)id < (uint)_records.Length && _records[id].Exists;

    /// <summary>Creates the account (no-op if it exists).</summary>
    public void Create(int id)
    {
        if (id >= _records.Length) Grow(id);
        ref var r = ref _records[id];
        if (r.Exists) return;
        r.Exists = true;
        r.OrderHead = r.OrderTail = -1;
        if (id > MaxId) MaxId = id;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref long Balance(int id) => ref _records[id].Balance;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref Position Position(int id, int instrument) => ref _positions[id * _stride + instrument];

    /// <summary>
    /// Prefetches what a command on the account reads first: its record, its margin sums and, when
    /// <paramref name="instrument"/> is one of the account's slots, that position (see <see cref="CacheLines"/>). Any
    /// id may be passed: one that names no account slot prefetches nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(int id, int instrument)
    {
        if ((uint)id >= (uint)_records.Length) return;
        CacheLines.Prefetch(ref _records[id]);
        CacheLines.Prefetch(ref _sums[id]);
        if ((uint)instrument < (uint)_stride) CacheLines.Prefetch(ref _positions[id * _stride + instrument]);
    }

    /// <summary>Instruments in which the account has a position or resting orders (bit i = instrument i).</summary>
    public ulong ActiveMask(int id) => _records[id].Active;

    /// <summary>Instruments in which the account holds a non-zero position.</summary>
    public ulong HeldMask(int id) => _records[id].Held;

    public bool HasPosition(int id) => _records[id].Held != 0;

    public int PositionCount(int id) => BitOperations.PopCount(_records[id].Held);

    /// <summary>The account's cached margin sums, current or not (see <see cref="MarginSums.Epoch"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref MarginSums Sums(int id) => ref _sums[id];

    /// <summary>
    /// Refreshes the masks, the holder lists and, when the account's margin sums are current, this position's terms
    /// in them, after its quantity or cost (or anything else about it) changed.
    /// </summary>
    public void Touch(int id, int instrument)
    {
        ref var p = ref _positions[id * _stride + instrument];
        ref var sums = ref _sums[id];
        if (sums.Epoch == _instruments.MarkEpoch) UpdateParts(ref sums, ref p, _instruments[instrument]);
        var bit = 1UL << instrument;
        ref var r = ref _records[id];
        if (p.IsIdle) GoIdle(ref r, bit, ref p); else r.Active |= bit;
        if (p.Qty == 0) r.Held &= ~bit; else r.Held |= bit;
        // HolderSlot's sign says which side's list holds the account (a fill can flip a position).
        var side = Math.Sign(p.Qty);
        if (Math.Sign(p.HolderSlot) == side) return;
        if (p.HolderSlot != 0) RemoveHolder(instrument, ref p);
        if (side != 0) AddHolder(id, instrument, side, ref p);
    }

    /// <summary>An order of <paramref name="lots"/> at <paramref name="price"/> rests (its lots count in B or S).</summary>
    public void AddOrderLots(int id, int instrument, Side side, long price, long lots)
    {
        ref var p = ref _positions[id * _stride + instrument];
        p.AddRestingOrder(side, price, lots);
        ref var sums = ref _sums[id];
        if (sums.Epoch == _instruments.MarkEpoch)
        {
            var ins = _instruments[instrument];
            sums.OrderLoss += MarginCalculator.OrderLoss(side, price, lots, ins);
            UpdateIm(ref sums, ref p, ins);
        }
        _records[id].Active |= 1UL << instrument;
    }

    /// <summary><paramref name="lots"/> of an order resting at <paramref name="price"/> leave B or S (a fill, a
    /// cancel, a shrink, the start of a replacing amend).</summary>
    public void RemoveOrderLots(int id, int instrument, Side side, long price, long lots)
    {
        ref var p = ref _positions[id * _stride + instrument];
        p.RemoveOrderLots(side, lots);
        ref var sums = ref _sums[id];
        if (sums.Epoch == _instruments.MarkEpoch)
        {
            var ins = _instruments[instrument];
            sums.OrderLoss -= MarginCalculator.OrderLoss(side, price, lots, ins);
            UpdateIm(ref sums, ref p, ins);
        }
        if (p.IsIdle) GoIdle(ref _records[id], 1UL << instrument, ref p);
    }

    /// <summary>
    /// The position holds nothing any more: it leaves the active mask and its margin terms become 0, as they are when
    /// the sums are current (UpdateParts gave 0 for it) and as a rebuild, which visits only active positions, assumes
    /// when they are stale.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GoIdle(ref AccountRecord r, ulong bit, ref Position p)
    {
        r.Active &= ~bit;
        p.UpnlPart = p.ImPart = p.MmPart = 0;
    }

    /// <summary>A resting order moves to <paramref name="price"/> with <paramref name="lots"/>: the same as
    /// <see cref="RemoveOrderLots"/> then <see cref="AddOrderLots"/>, with one IM update.</summary>
    public void MoveOrderLots(int id, int instrument, Side side, long oldPrice, long oldLots, long price, long lots)
    {
        ref var p = ref _positions[id * _stride + instrument];
        p.RemoveOrderLots(side, oldLots);
        p.AddRestingOrder(side, price, lots);
        ref var sums = ref _sums[id];
        if (sums.Epoch == _instruments.MarkEpoch)
        {
            var ins = _instruments[instrument];
            sums.OrderLoss += MarginCalculator.OrderLoss(side, price, lots, ins) - MarginCalculator.OrderLoss(side, oldPrice, oldLots, ins);
            if (lots != oldLots) UpdateIm(ref sums, ref p, ins);
        }
        _records[id].Active |= 1UL << instrument;
    }

    /// <summary>Recomputes all three of a position's terms and moves the sums by the difference.</summary>
    internal static void UpdateParts(ref MarginSums sums, ref Position p, Instrument ins)
    {
        long upnl, mm, im;
        // A held position with no resting orders and a notional below 2^42 (an IOC's taker, a maker whose last order
        // filled): its worst case is |q| itself, so IM's notional is MM's and one product gives both, as Parts and
        // PositionInitial would (MarginCalculator.PlainTerms, the same terms for a rebuild).
        if (p.Qty != 0 && p.BuyLots == 0 && p.SellLots == 0 && SmallNotional(p.Qty, ins.Mark, ins.TickValue, out var notional))
        {
            upnl = FixedPoint.Upnl(p.Qty, ins.Mark, ins.TickValue, p.Cost);
            mm = CeilPpmSmall(notional, ins.Spec.MmrPpm);
            im = CeilPpmSmall(notional, ins.Spec.ImrPpm);
        }
        else
        {
            Parts(ref p, ins, out upnl, out mm);
            im = MarginCalculator.PositionInitial(ref p, ins);
        }
        sums.Upnl = unchecked(sums.Upnl + (upnl - p.UpnlPart));
        sums.Mm = unchecked(sums.Mm + (mm - p.MmPart));
        sums.Im += (Int128)im - p.ImPart;
        p.UpnlPart = upnl;
        p.MmPart = mm;
        p.ImPart = im;
    }

    /// <summary>A position's upnl and MM terms at its instrument's mark (0 and 0 when flat).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Parts(ref Position p, Instrument ins, out long upnl, out long mm)
    {
        upnl = 0;
        mm = 0;
        if (p.Qty == 0) return;
        // Both as the Int128 notional q x m x tv gave them: upnl wraps as its cast to long did (FixedPoint.Upnl),
        // and |notional| below 2^42 rounds in 64 bits as CeilPpm does (FixedPoint.SmallNotional).
        upnl = Upnl(p.Qty, ins.Mark, ins.TickValue, p.Cost);
        mm = SmallNotional(p.Qty, ins.Mark, ins.TickValue, out var notional)
            ? CeilPpmSmall(notional, ins.Spec.MmrPpm)
            : CeilPpm(Int128.Abs((Int128)p.Qty * ins.Mark * ins.TickValue), ins.Spec.MmrPpm);
    }

    /// <summary>Recomputes a position's IM term (its order lots or quantity changed) and moves the sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void UpdateIm(ref MarginSums sums, ref Position p, Instrument ins)
    {
        var im = MarginCalculator.PositionInitial(ref p, ins);
        sums.Im += (Int128)im - p.ImPart;
        p.ImPart = im;
    }

    private void AddHolder(int id, int instrument, int sign, ref Position p)
    {
        var l = HolderList(instrument, sign);
        if (_holderCount[l] == _holders[l].Length) Array.Resize(ref _holders[l], _holders[l].Length * 2);
        _holders[l][_holderCount[l]++] = id;
        p.HolderSlot = sign * _holderCount[l];
    }

    private void RemoveHolder(int instrument, ref Position p)
    {
        // Swap-remove: the last holder takes the freed slot.
        var sign = Math.Sign(p.HolderSlot);
        var l = HolderList(instrument, sign);
        var i = Math.Abs(p.HolderSlot) - 1;
        var last = _holders[l][--_holderCount[l]];
        _holders[l][i] = last;
        _positions[last * _stride + instrument].HolderSlot = sign * (i + 1);
        p.HolderSlot = 0;
    }

    /// <summary>Position slots per account (the maximum instrument count).</summary>
    public int Stride => _stride;

    /// <summary>
    /// Copies what a snapshot keeps of ids 0..<paramref name="ids"/>-1 into <paramref name="image"/>: existence, balance,
    /// held mask and order list head, and where each account's held positions go in the image's lots and costs
    /// (account by account, in instrument order; the arrays are grown as needed). The positions themselves (their
    /// lots and cost) are copied now unless <paramref name="defer"/>; then they are left to
    /// <see cref="CopyDeferredPositions"/>, except that a fill copies its account's positions first
    /// (<see cref="ApplyFill"/>, the only writer of lots and cost): each is copied before anything after the capture
    /// writes it, so the image holds the state of the capture. A capture finishes a deferred one still pending first.
    /// Returns how many positions the image holds.
    /// </summary>
    public int CopyTo(int ids, SnapshotImage image, bool defer)
    {
        if (_deferred is not null) CopyDeferredPositions(int.MaxValue);
        var records = _records.AsSpan(0, ids);
        var exists = image.Exists.AsSpan(0, ids);
        var balance = image.Balances.AsSpan(0, ids);
        var held = image.Held.AsSpan(0, ids);
        var orderHead = image.OrderHeads.AsSpan(0, ids);
        var positionAt = image.PositionAt.AsSpan(0, ids);
        var n = 0;
        for (var a = 0; a < records.Length; a++)
        {
            ref var r = ref records[a];
            exists[a] = r.Exists;
            balance[a] = r.Balance;
            held[a] = r.Held;
            orderHead[a] = r.OrderHead;
            positionAt[a] = n;
            n += BitOperations.PopCount(r.Held);
        }
        if (image.Qty.Length < n)
        {
            image.Qty = new long[Math.Max(n, image.Qty.Length + image.Qty.Length / 2)];
            image.Cost = new long[image.Qty.Length];
        }
        if (image.PositionsCopied.Length < ids) image.PositionsCopied = new bool[image.Exists.Length];
        else Array.Clear(image.PositionsCopied, 0, ids);
        _deferred = image;
        _deferredNext = 0;
        _deferredEnd = ids;
        if (!defer) CopyDeferredPositions(int.MaxValue);
        return n;
    }

    /// <summary>
    /// Copies the deferred positions (<see cref="CopyTo"/>) of up to <paramref name="accounts"/> more accounts, in id
    /// order, skipping those a fill copied already. True when none are left (the image is complete).
    /// </summary>
    public bool CopyDeferredPositions(int accounts)
    {
        var image = _deferred;
        if (image is null) return true;
        var end = (int)Math.Min(_deferredEnd, (long)_deferredNext + accounts);
        var held = image.Held;
        var copied = image.PositionsCopied;
        var positions = _positions;
        var stride = _stride;
        // Prefetch only when the positions spanned are beyond the caches: with all of them in cache (10,000 accounts,
        // ~1 MB) the prefetches measured 1.17-1.19x slower.
        var prefetch = Sse.IsSupported && (long)_deferredEnd * stride * Unsafe.SizeOf<Position>() >= Journal.StreamingCopy.Threshold;
        for (var a = _deferredNext; a < end; a++)
        {
            // The positions are 80 bytes apart and each read is a miss the hardware prefetchers do not hide at this
            // stride (the positions pass alone: 546 -> 344 us at 100k accounts, docs/benchmarks.md "Snapshot pause"): ask
            // for the first held position of the account PrefetchAhead places on. A prefetch never faults, so a stale
            // address (the array moved) is harmless.
            if (prefetch && a + PrefetchAhead < _deferredEnd)
            {
                var ahead = held[a + PrefetchAhead];
                if (ahead != 0) PrefetchLotsAndCost(ref positions[(a + PrefetchAhead) * stride + BitOperations.TrailingZeroCount(ahead)]);
            }
            if (held[a] != 0 && !copied[a]) CopyPositions(image, a);
        }
        _deferredNext = end;
        if (end < _deferredEnd) return false;
        _deferred = null;
        return true;
    }

    /// <summary>Before the fill on <paramref name="id"/> writes a position: copies the account's positions of the
    /// deferred capture unless they are copied already (or the account is not in it).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CopyBeforeWrite(int id)
    {
        var image = _deferred!;
        if (id >= _deferredNext && id < _deferredEnd && !image.PositionsCopied[id])
        {
            CopyPositions(image, id);
            image.PositionsCopied[id] = true;
        }
    }

    /// <summary>The account's positions held at the capture (the image's held mask), as they are now.</summary>
    private void CopyPositions(SnapshotImage image, int a)
    {
        var at = image.PositionAt[a];
        var row = a * _stride;
        for (var mask = image.Held[a]; mask != 0; mask &= mask - 1)
        {
            ref var p = ref _positions[row + BitOperations.TrailingZeroCount(mask)];
            image.Qty[at] = p.Qty;
            image.Cost[at++] = p.Cost;
        }
    }

    /// <summary>Accounts ahead whose position <see cref="CopyDeferredPositions"/> prefetches (16-128 measured alike at 100k accounts,
    /// 4 and 8 too short, 256 too far).</summary>
    private const int PrefetchAhead = 32;

    /// <summary>The line of the position's lots and cost only (<see cref="CacheLines.Prefetch{T}"/> would fetch its last
    /// line too, which the capture does not read).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PrefetchLotsAndCost(ref Position p) => Sse.Prefetch0(Unsafe.AsPointer(ref p));

    public ref int OrderHead(int id) => ref _records[id].OrderHead;
    public ref int OrderTail(int id) => ref _records[id].OrderTail;
    public ref int OrderCount(int id) => ref _records[id].OrderCount;

    /// <summary>
    /// Applies a fill of signed <paramref name="lots"/> with quote <paramref name="quote"/> (RULEBOOK section 3):
    /// opening adds to the cost basis; reducing realizes PnL against a pro-rata, truncated share of it; a flip
    /// splits the quote with floor for the closing part. Keeps delta(balance - C) == -sign(f) x V exactly.
    /// </summary>
    public void ApplyFill(int id, int instrument, long lots, long quote)
    {
        if (_deferred is not null) CopyBeforeWrite(id);
        ref var p = ref _positions[id * _stride + instrument];
        var sign = lots > 0 ? 1L : -1L;
        if (p.Qty == 0 || (p.Qty > 0) == (lots > 0))
        {
            p.Qty += lots;
            p.Cost += sign * quote;
        }
        else
        {
            var absF = Math.Abs(lots);
            var absQ = Math.Abs(p.Qty);
            var k = Math.Min(absF, absQ);
            var vk = absF > absQ ? MulDiv(quote, k, absF) : quote;
            var removed = MulDiv(p.Cost, k, absQ);
            var qSign = p.Qty > 0 ? 1L : -1L;
            _records[id].Balance += qSign * vk - removed;
            p.Cost -= removed;
            p.Qty -= qSign * k;
            if (absF > absQ)
            {
                p.Qty += sign * (absF - k);
                p.Cost += sign * (quote - vk);
            }
        }
        Touch(id, instrument);
    }

    /// <summary>
    /// A maker's fill: <paramref name="filled"/> lots of its order resting at <paramref name="price"/> leave B or S, and
    /// the fill of signed <paramref name="lots"/> applies. The same state as <see cref="RemoveOrderLots"/> then
    /// <see cref="ApplyFill"/> (the sums are exact, so the order of their updates does not matter), with the
    /// position's IM computed once, by the fill's <see cref="Touch"/>, instead of once for each.
    /// </summary>
    public void ApplyMakerFill(int id, int instrument, Side side, long price, long filled, long lots, long quote)
    {
        ref var p = ref _positions[id * _stride + instrument];
        p.RemoveOrderLots(side, filled);
        ref var sums = ref _sums[id];
        if (sums.Epoch == _instruments.MarkEpoch)
            sums.OrderLoss -= MarginCalculator.OrderLoss(side, price, filled, _instruments[instrument]);
        ApplyFill(id, instrument, lots, quote);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int id)
    {
        var n = Math.Max(_records.Length * 2, id + 1);
        Array.Resize(ref _records, n);
        Array.Resize(ref _positions, n * _stride);
        Array.Resize(ref _sums, n);
    }
}
