using System.Numerics;
using System.Runtime.CompilerServices;
using Exchange.Core.Accounts;
using Exchange.Core.Instruments;
using static Exchange.Core.Instruments.FixedPoint;

namespace Exchange.Core.Risk;

/// <summary>
/// Finds liquidatable accounts without scanning. Each account with positions and slack S = E - MM &gt;= 0 splits S
/// evenly over its k positions; position i may absorb an adverse mark move of Δ_i = floor((S/k) / r_i) ticks, where
/// r_i = |q|·tick_value + ceil(|q|·tick_value·mmr/1e6) bounds what one tick costs in E - MM (E moves by |q|·tv, MM by
/// at most the ceiling). While every mark stays within its Δ_i the moves together cost at most S, so the account
/// cannot be liquidatable. Each position sits in its instrument's heap keyed by that trigger mark; a mark change pops
/// only the entries it crossed, and those accounts are re-evaluated exactly. Every other change to an account (fills,
/// fees, funding, deposits, ADL, haircuts) marks it dirty, and it is re-evaluated before liquidation runs. A mark
/// change therefore costs O(triggered · log n), not O(holders).
/// </summary>
internal sealed class LiquidationIndex
{
    private readonly AccountStore _accounts;
    private readonly InstrumentTable _instruments;
    private readonly MarginCalculator _margin;
    // Per instrument: longs trigger when the mark falls below their key (stored negated in a min-heap), shorts when
    // it rises above theirs.
    private readonly WatchHeap[] _longs;
    private readonly WatchHeap[] _shorts;
    private int[] _dirty = new int[256];
    private int _dirtyCount;
    private bool[] _isDirty;
    private readonly CandidateQueue _candidates = new();
    // Instruments in which each account may have a heap entry (a position may go flat before its entry is removed; a
    // position no mark can trigger has none, see Reachable): an entry exists where the position's WatchSlot says so.
    // An evaluation leaves exactly its entries' bits, and only a mark's pop removes an entry without clearing its bit
    // (the account is then dirty), so 0 means the account has no entry (Filled relies on it).
    private ulong[] _watched;

    public LiquidationIndex(AccountStore accounts, InstrumentTable instruments, MarginCalculator margin, int maxInstruments,
        int accountCapacity)
    {
        var heapCapacity = Math.Max(1024, accountCapacity / 2);
        _isDirty = new bool[Math.Max(1024, accountCapacity + 1)];
        _watched = new ulong[Math.Max(1024, accountCapacity + 1)];
        _accounts = accounts;
        _instruments = instruments;
        _margin = margin;
        _longs = new WatchHeap[maxInstruments];
        _shorts = new WatchHeap[maxInstruments];
        for (var i = 0; i < maxInstruments; i++)
        {
            _longs[i] = new WatchHeap(accounts, i, +1, heapCapacity);
            _shorts[i] = new WatchHeap(accounts, i, -1, heapCapacity);
        }
    }

    public bool HasDirty => _dirtyCount > 0;

    /// <summary>Exact re-evaluations performed so far: the work a mark change causes (tests, benchmarks).</summary>
    public long Evaluations { get; private set; }

    /// <summary>Accounts known to be liquidatable (not in the heaps), worst first.</summary>
    public CandidateQueue Candidates => _candidates;

    /// <summary>Watched entries of an instrument (for tests and benchmarks).</summary>
    public int WatchedCount(int instrument) => _longs[instrument].Count + _shorts[instrument].Count;

    /// <summary>Records that something about the account's E or MM changed; it is re-evaluated by <see cref="Refresh"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void MarkDirty(int account)
    {
        if (account >= _isDirty.Length) GrowFlags(account);
        if (_isDirty[account]) return;
        _isDirty[account] = true;
        if (_dirtyCount == _dirty.Length) Array.Resize(ref _dirty, _dirty.Length * 2);
        _dirty[_dirtyCount++] = account;
    }

    /// <summary>
    /// A client order's fill changed the account (its balance, position and margin sums, the fill's last change to it):
    /// marks it dirty, unless its re-evaluation provably would change nothing (<see cref="NeedsEvaluation"/>), in which
    /// case it is left alone. A later change to it in the same command marks it again (every fill, and every other change
    /// to an account, calls this or <see cref="MarkDirty"/> after it), so the decision is always taken on the state the
    /// re-evaluation would see. Liquidation fills mark dirty as before (their waterfall changes balances after the fill).
    /// </summary>
    /// <remarks>Both accounts of a fill in one call, out of line: with the two checks inlined, <c>Matcher.Fill</c> grew
    /// past what the JIT inlines into the taker's loop (the margin mix's IOC measured 2-3% dearer with it a call of its
    /// own).</remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Filled(int taker, int maker)
    {
        FilledOne(taker);
        FilledOne(maker);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void FilledOne(int account)
    {
        // An account with a heap entry (a thin one, mostly) goes to the evaluation on the first, inlined tests, without
        // the call; the flags' and the mask's lines are the ones Fill prefetched.
        if ((uint)account < (uint)_isDirty.Length && !_isDirty[account] && _watched[account] == 0 && _candidates.Count == 0 &&
            SkipUnchanged && !NeedsEvaluation(account)) return;
        MarkDirty(account);
    }

    /// <summary>Whether <see cref="Filled"/> leaves out the re-evaluations that would change nothing (on; tests turn it
    /// off to compare the index's state with and without).</summary>
    internal bool SkipUnchanged = true;

    /// <summary>Re-evaluations <see cref="Filled"/> left out (tests).</summary>
    internal long Skipped { get; private set; }

    /// <summary>
    /// Of an account <see cref="Filled"/> found with no heap entry and no candidate queued: false when
    /// <see cref="Evaluate"/> of it, now, would change nothing but the evaluation count: it has no
    /// heap entry (<c>_watched</c> is 0: every entry's bit is set, <see cref="Evaluate"/> leaves exactly the entries' bits),
    /// no liquidatable account is queued (the queue is empty between commands; so it is not a candidate), its margin
    /// sums are current, and on their E and MM (what <see cref="Evaluate"/> reads) it is not liquidatable and no
    /// position's trigger is reachable, so it would push no entry (and remove none: there are none), queue nothing and
    /// leave the mask 0. True (evaluate) otherwise, including whenever a test is not reached.
    /// <para>
    /// Stale sums (a mark moved since they were built) send the account to the evaluation: rebuilding them here, in the
    /// middle of a command, would walk the account's order list while a replacing amend's order is off the book (its
    /// lots out of B or S) but still in the list at its new price and quantity, count its order loss, and leave it
    /// counted when the amend then cancels or discards it (the failure of the first version of this skip, 96da99c:
    /// the report's free margin 7,408 short, 8 lots x 926 ticks). The evaluation after the command rebuilds them on
    /// the finished state, as the report does.
    /// </para>
    /// <para>
    /// Reachability without a division: position i's delta is min(floor(S / (k x r_i)), max_price + 1) (S the slack,
    /// k the positions, <see cref="TriggerDelta(long, int, long, long, long, long)"/>); a long's trigger is unreachable
    /// exactly when delta &gt;= mark - 1, a short's when delta &gt;= max_price - mark (<see cref="Reachable"/>; the cap
    /// exceeds both), that is when S &gt;= k x r_i x D with D that distance. With r_i &lt;= |q| x
    /// <see cref="Instrument.RatePerLot"/>, S &gt;= k x |q| x RatePerLot x D is sufficient; a thin account fails it at
    /// its first position (or has an entry, the first test) and goes to the evaluation without the trigger's arithmetic.
    /// </para>
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool NeedsEvaluation(int a)
    {
        var held = _accounts.HeldMask(a);
        if (held == 0) return _accounts.Balance(a) < 0;
        ref var sums = ref _accounts.Sums(a);
        if (sums.Epoch != _instruments.MarkEpoch) return true;
        var equity = unchecked(_accounts.Balance(a) + sums.Upnl);
        var maintenance = sums.Mm;
        if (equity < maintenance || maintenance < 0) return true;
        // 0 <= E - MM: a long, as in Evaluate's narrow path.
        var slack = (ulong)unchecked(equity - maintenance);
        var positions = (ulong)BitOperations.PopCount(held);
        for (var mask = held; mask != 0; mask &= mask - 1)
        {
            var i = BitOperations.TrailingZeroCount(mask);
            var ins = _instruments[i];
            var q = _accounts.Position(a, i).Qty;
            var lots = (ulong)(q < 0 ? -q : q);
            var mark = ins.Mark;
            var maxPrice = ins.Spec.MaxPrice;
            var distance = q > 0 ? mark - 1 : maxPrice - mark;
            // k <= 64 and |q| < 2^56: k x |q| < 2^62. 0 <= D <= max_price and the instrument's ReachRateFits: D x
            // RatePerLot < 2^62, no overflow. The need's high half must be 0 for the bound to be a long (in registers:
            // Math.BigMul's out went through the stack, a store and a reload on the check's critical path).
            if (lots >= 1UL << 56 || (ulong)distance > (ulong)maxPrice || !ins.ReachRateFits) return true;
            var perLot = (ulong)distance * (ulong)ins.RatePerLot;
            var count = positions * lots;
            if (HighProduct(count, perLot) != 0 || slack < count * perLot) return true;
        }
        Skipped++;
        return false;
    }

    /// <summary>The high 64 bits of a x b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong HighProduct(ulong a, ulong b) =>
        System.Runtime.Intrinsics.X86.Bmi2.X64.IsSupported ? System.Runtime.Intrinsics.X86.Bmi2.X64.MultiplyNoFlags(a, b) : Math.BigMul(a, b, out _);

    /// <summary>Prefetches the account's dirty flag and watched mask, which a fill's <see cref="MarkDirty"/> and the
    /// re-evaluation read (see <see cref="CacheLines"/>); any id may be passed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(int account)
    {
        if ((uint)account >= (uint)_isDirty.Length) return;
        CacheLines.Prefetch(ref _isDirty[account]);
        CacheLines.Prefetch(ref _watched[account]);
    }

    /// <summary>Pops every position whose trigger the instrument's new mark crossed and marks its account dirty.</summary>
    public void OnMark(int instrument, long mark)
    {
        var longs = _longs[instrument];
        while (longs.Count > 0 && -longs.TopKey > mark)
        {
            var a = longs.TopAccount;
            longs.RemoveAt(_accounts.Position(a, instrument).WatchSlot);
            MarkDirty(a);
        }
        var shorts = _shorts[instrument];
        while (shorts.Count > 0 && shorts.TopKey < mark)
        {
            var a = shorts.TopAccount;
            shorts.RemoveAt(_accounts.Position(a, instrument).WatchSlot);
            MarkDirty(a);
        }
    }

    /// <summary>Re-evaluates every dirty account exactly: liquidatable ones become candidates, the rest are re-watched.</summary>
    public void Refresh()
    {
        // A re-evaluation can mark nothing dirty, so one pass over the list suffices.
        for (var n = 0; n < _dirtyCount; n++)
        {
            var a = _dirty[n];
            // Evaluated since it was marked (EvaluateNow), or listed twice: nothing to do.
            if (!_isDirty[a]) continue;
            _isDirty[a] = false;
            Evaluate(a);
        }
        _dirtyCount = 0;
    }

    /// <summary>
    /// Re-evaluates an account that just changed at once, rather than marking it dirty for <see cref="Refresh"/>: the
    /// same result, provided nothing changes the account again before the next refresh (the socializer's haircuts are
    /// the last thing a liquidation does to its payers). If the account was already marked dirty, its entry is skipped.
    /// Which of the two evaluates it, and in what order accounts are evaluated, is not observable: an evaluation depends
    /// only on the account and the marks, and the candidates are ordered by a strict total order.
    /// </summary>
    public void EvaluateNow(int account)
    {
        if (account < _isDirty.Length) _isDirty[account] = false;
        Evaluate(account);
    }

    /// <summary>
    /// How far the account's balance may fall (a haircut: its positions, orders and marks unchanged) with
    /// <see cref="Evaluate"/> then changing nothing, or -1 when that is not shown. Shown for an account not a candidate,
    /// holding one position, with no heap entry at all (watched mask 0: an evaluation leaves exactly its entries' bits,
    /// so an unreachable position's evaluation leaves it 0), whose slack E - MM &gt;= 0 (from the
    /// <paramref name="equity"/> and <paramref name="maintenance"/> of its current sums) is at least n x r, r the
    /// position's per-tick rate (from <paramref name="tickValue"/> and <paramref name="mmrPpm"/>, its instrument's) and n
    /// = <paramref name="ticks"/> the ticks a mark may move against it before its trigger is out of reach
    /// (<see cref="ReachTicks"/>: mark - 1 for a long, max_price - mark for a short, <see cref="Reachable"/>). Then for every slack from n x r up,
    /// <see cref="TriggerDelta(long, int, long, long, long, long)"/> gives a delta of at least n (its 64-bit path, whose
    /// conditions are checked here the same way: floor(slack / r) &gt;= n exactly when slack &gt;= n x r, and n &lt;
    /// max_price + 1, its cap), so the position stays without an entry, the account out of the candidates and its
    /// watched mask as it is: the evaluation changes nothing. The index holds what the account's last evaluation left
    /// provided it is not dirty (nothing but a mark changed it since; a mark does not move inside the command); that is
    /// checked when the drop comes (<see cref="EvaluateAfterDrop"/>): only an evaluation clears the flag, so an account
    /// not dirty then was not dirty when this was taken.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal long Headroom(int a, ulong held, long equity, long maintenance, ref Position p, long tickValue, long mmrPpm, long ticks)
    {
        if (ticks < 0 || (uint)a >= (uint)_watched.Length || held == 0 || (held & (held - 1)) != 0 || _watched[a] != 0 ||
            p.WatchSlot != 0 || p.Qty == long.MinValue || maintenance < 0 || equity < maintenance ||
            _candidates.Contains(a)) return -1;
        var slack = equity - maintenance;
        var product = Multiply((ulong)Math.Abs(p.Qty), (ulong)tickValue);
        var perTick = product.Low;
        if (product.High != 0 || perTick >= 1UL << 42) return -1;
        var rate = (long)perTick + ((long)perTick * mmrPpm + (Million - 1)) / Million;
        if (rate <= 0) return -1;
        var need = Multiply((ulong)ticks, (ulong)rate);
        if (need.High != 0 || (ulong)slack < need.Low) return -1;
        return slack - (long)need.Low;
    }

    /// <summary>The ticks n of <see cref="Headroom"/> for the positions of one side of the instrument (mark - 1 for
    /// longs, max_price - mark for shorts), or -1 where it shows nothing (TriggerDelta's 64-bit path's conditions on
    /// the instrument fail, or the mark is outside 1..max_price): the same for every holder, computed once.</summary>
    internal static long ReachTicks(Instrument ins, bool longs)
    {
        var maxPrice = ins.Spec.MaxPrice;
        var mark = ins.Mark;
        if (ins.TickValue < 0 || (ulong)ins.Spec.MmrPpm > Million || maxPrice >= long.MaxValue || mark < 1 || mark > maxPrice) return -1;
        return longs ? mark - 1 : maxPrice - mark;
    }

    /// <summary>
    /// The account's balance just fell by <paramref name="amount"/> (a haircut) and nothing else changed it since its
    /// <see cref="Headroom"/> was taken: re-evaluates it now (<see cref="EvaluateNow"/>) unless the drop is within the
    /// headroom and the account is still not dirty, when the evaluation would change nothing (counted all the same).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EvaluateAfterDrop(int account, long amount, long headroom)
    {
        if (amount <= headroom && !_isDirty[account])
        {
            Evaluations++;
            return;
        }
        EvaluateNow(account);
    }

    /// <summary>Drops an account from the candidates (it was liquidated or found safe) and re-evaluates it.</summary>
    public void Resolve(int account)
    {
        _candidates.Remove(account);
        MarkDirty(account);
    }

    private void Evaluate(int a)
    {
        Evaluations++;
        // Read once: every haircut payer of a socialization is evaluated here.
        var held = _accounts.HeldMask(a);
        if (held == 0)
        {
            Unwatch(a);
            // A flat account in debt is liquidatable with MM = 0, which the exact E/MM order puts first.
            var balance = _accounts.Balance(a);
            if (balance < 0) _candidates.Set(a, balance, 0);
            else _candidates.Remove(a);
            return;
        }
        _margin.Totals(a, out var equity, out var maintenance);
        // E - MM < 0 exactly when E < MM. Past it, E - MM is a non-negative long unless MM is negative (never: MM sums
        // ceilings of non-negative notionals, but the Int128 difference keeps even that exact): one position's delta
        // then comes from the 64-bit TriggerDelta, without the Int128 slack kept across the loop.
        if (equity < maintenance)
        {
            Unwatch(a);
            _candidates.Set(a, equity, maintenance);
            return;
        }
        if (_candidates.Contains(a)) _candidates.Remove(a);
        // Entries of positions closed since the last evaluation go; a position still watched on its side is re-keyed
        // in place (one sift instead of a removal and a push: each haircut payer of a socialization comes here).
        // Which slot an entry lands in is not observable: the heaps only decide which triggers a mark crosses.
        for (var mask = _watched[a] & ~held; mask != 0; mask &= mask - 1)
            RemoveEntry(a, BitOperations.TrailingZeroCount(mask));
        var positions = BitOperations.PopCount(held);
        var narrow = maintenance >= 0;
        // The instruments left with an entry: the mask says exactly where entries are, so 0 means none (Filled).
        var entries = 0UL;
        var slack = unchecked(equity - maintenance);
        for (var mask = held; mask != 0; mask &= mask - 1)
        {
            var i = BitOperations.TrailingZeroCount(mask);
            var ins = _instruments[i];
            ref var p = ref _accounts.Position(a, i);
            var q = p.Qty;
            var delta = narrow
                ? TriggerDelta(slack, positions, q, ins.TickValue, ins.Spec.MmrPpm, ins.Spec.MaxPrice)
                : TriggerDelta((Int128)equity - maintenance, positions, q, ins.TickValue, ins.Spec.MmrPpm, ins.Spec.MaxPrice);
            var slot = p.WatchSlot;
            if (!Reachable(q, ins.Mark, delta, ins.Spec.MaxPrice))
            {
                if (slot > 0) _longs[i].RemoveAt(slot);
                else if (slot < 0) _shorts[i].RemoveAt(slot);
                continue;
            }
            entries |= 1UL << i;
            if (q > 0)
            {
                if (slot > 0) _longs[i].Update(slot, -(ins.Mark - delta));
                else
                {
                    if (slot < 0) _shorts[i].RemoveAt(slot);
                    _longs[i].Push(a, -(ins.Mark - delta));
                }
            }
            else
            {
                if (slot < 0) _shorts[i].Update(slot, ins.Mark + delta);
                else
                {
                    if (slot > 0) _longs[i].RemoveAt(slot);
                    _shorts[i].Push(a, ins.Mark + delta);
                }
            }
        }
        _watched[a] = entries;
    }

    /// <summary>
    /// Whether some mark a SetMark command can set could pop this position's entry: a long's entry
    /// (trigger T = mark - delta) pops when a new mark m' &lt; T, a short's (T = mark + delta) when m' &gt; T, and an
    /// accepted mark is 1 &lt;= m' &lt;= max_price (nothing else moves a mark between evaluations; a snapshot restore
    /// re-evaluates every account). So a long with T &lt;= 1 or a short with T &gt;= max_price can never be popped, and
    /// its entry would only cost heap work on every fill of a well-funded account (whose delta is capped at max_price
    /// + 1, so T &lt;= 0 or T &gt; max_price): it gets none. Popping only marks an account dirty, and an entry that no
    /// mark can pop marks nothing, so which accounts are evaluated, and every liquidation, are unchanged
    /// (<c>LiquidationIndexTests</c> checks the boundaries; the model comparison properties check the outcomes).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool Reachable(long qty, long mark, long delta, long maxPrice) =>
        qty > 0 ? mark - delta > 1 : mark + delta < maxPrice;

    /// <summary>
    /// How far (in ticks) the mark of a position of <paramref name="qty"/> lots may move against it before its share
    /// of the account's slack is used up: min(floor(floor(slack / k) / r), max_price + 1) with r = |q| x tv +
    /// ceil(|q| x tv x mmr / 1e6), as <see cref="TriggerDeltaExact"/> computes it in Int128. Run for every account a
    /// fill, a haircut or an ADL touched (10,000 times in a socialization over 10,000 winners), so it divides in 64
    /// bits whenever that is provably the same (docs/benchmarks.md):
    /// <list type="bullet">
    /// <item>0 &lt;= slack &lt;= 2^63 - 1 and k &gt;= 1: the share is a non-negative long, and long division truncates as
    /// Int128's does (both are floors for non-negative operands).</item>
    /// <item>|q| x tv, formed as an unsigned 128-bit product with a zero high half, is below 2^42 and 0 &lt;= mmr &lt;=
    /// 1e6 &lt; 2^20: |q| x tv x mmr + 999,999 &lt; 2^62 + 2^20 fits a long, so the ceiling is the 64-bit
    /// (x + 999,999) / 1e6 of a non-negative x, and r &lt; 2^42 + 2^42 + 1 is a long.</item>
    /// <item>r &gt; 0 (else the exact path, which throws as before) and max_price &lt; 2^63 - 1, so max_price + 1 is a
    /// long: the quotient share / r is a non-negative long, and the minimum the same as in Int128.</item>
    /// </list>
    /// Anything else takes the exact path. <c>LiquidationIndexFastPathTests</c> compares the two, and a BigInteger
    /// transcription, on random inputs of every magnitude and on the bounds above.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long TriggerDelta(Int128 slack, int positions, long qty, long tickValue, long mmrPpm, long maxPrice) =>
        slack >= 0 && slack <= long.MaxValue
            ? TriggerDelta((long)slack, positions, qty, tickValue, mmrPpm, maxPrice)
            : TriggerDeltaExact(slack, positions, qty, tickValue, mmrPpm, maxPrice);

    /// <summary><see cref="TriggerDelta(Int128, int, long, long, long, long)"/> of a 64-bit slack: the same 64-bit path
    /// (the slack's bound holds for every long), the exact one for a negative slack or anything else.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long TriggerDelta(long slack, int positions, long qty, long tickValue, long mmrPpm, long maxPrice)
    {
        const long fastPerTick = 1L << 42;
        var lots = Math.Abs(qty);
        if (slack >= 0 && positions >= 1 && tickValue >= 0 && (ulong)mmrPpm <= Million && maxPrice < long.MaxValue)
        {
            var product = Multiply((ulong)lots, (ulong)tickValue);
            var perTick = product.Low;
            if (product.High == 0 && perTick < fastPerTick)
            {
                var rate = (long)perTick + ((long)perTick * mmrPpm + (Million - 1)) / Million;
                // One position (the usual case) needs no first division: slack / 1 is slack.
                var share = positions == 1 ? slack : slack / positions;
                if (rate > 0)
                {
                    // floor(share / rate) >= cap exactly when share >= cap x rate (all non-negative): a capped delta
                    // (a well-funded account) needs no division.
                    var cap = Multiply((ulong)(maxPrice + 1), (ulong)rate);
                    return cap.High == 0 && (ulong)share >= cap.Low ? maxPrice + 1 : Math.Min(share / rate, maxPrice + 1);
                }
            }
        }
        return TriggerDeltaExact(slack, positions, qty, tickValue, mmrPpm, maxPrice);
    }

    /// <summary><see cref="TriggerDelta(Int128, int, long, long, long, long)"/> in Int128 for every input: the reference its 64-bit path is tested against.</summary>
    internal static long TriggerDeltaExact(Int128 slack, int positions, long qty, long tickValue, long mmrPpm, long maxPrice)
    {
        var share = slack / positions;
        var perTick = (Int128)Math.Abs(qty) * tickValue;
        var rate = perTick + CeilDiv(perTick * mmrPpm, Million);
        return (long)Int128.Min(share / rate, maxPrice + 1);
    }

    private void Unwatch(int a)
    {
        for (var mask = _watched[a]; mask != 0; mask &= mask - 1)
            RemoveEntry(a, BitOperations.TrailingZeroCount(mask));
        _watched[a] = 0;
    }

    private void RemoveEntry(int a, int i)
    {
        var slot = _accounts.Position(a, i).WatchSlot;
        if (slot > 0) _longs[i].RemoveAt(slot);
        else if (slot < 0) _shorts[i].RemoveAt(slot);
    }

    /// <summary>What the index holds for the account: dirty flag, candidate, watched mask and each held position's heap
    /// entry (side and key), for tests comparing it with a fresh evaluation (allocates).</summary>
    internal string Describe(int a)
    {
        var text = $"dirty {a < _isDirty.Length && _isDirty[a]} candidate {_candidates.Contains(a)} watched {(a < _watched.Length ? _watched[a] : 0)}";
        for (var mask = _accounts.HeldMask(a); mask != 0; mask &= mask - 1)
        {
            var i = BitOperations.TrailingZeroCount(mask);
            var slot = _accounts.Position(a, i).WatchSlot;
            text += $" | {i}: {(slot > 0 ? "long " + _longs[i].KeyAt(slot) : slot < 0 ? "short " + _shorts[i].KeyAt(slot) : "none")}";
        }
        return text;
    }

    /// <summary>
    /// Null when <paramref name="other"/> (an index of the same accounts and instruments) is in the same state between
    /// commands: the same heap entries (not necessarily in the same slots, see <see cref="WatchHeap.Difference"/>), the
    /// same watched masks, no account dirty or queued in either;
    /// else the first difference (tests; allocates). The evaluation counts may differ.
    /// </summary>
    internal string? Difference(LiquidationIndex other)
    {
        for (var i = 0; i < _longs.Length; i++)
            if ((_longs[i].Difference(other._longs[i]) ?? _shorts[i].Difference(other._shorts[i])) is { } found) return found;
        var n = Math.Max(_watched.Length, other._watched.Length);
        for (var a = 0; a < n; a++)
        {
            var mine = a < _watched.Length ? _watched[a] : 0;
            var theirs = a < other._watched.Length ? other._watched[a] : 0;
            if (mine != theirs) return $"account {a}: watched mask {mine:x} against {theirs:x}";
        }
        if (_dirtyCount != 0 || other._dirtyCount != 0) return $"dirty accounts left: {_dirtyCount} and {other._dirtyCount}";
        if (_candidates.Count != 0 || other._candidates.Count != 0) return $"candidates left: {_candidates.Count} and {other._candidates.Count}";
        return null;
    }

    /// <summary>Null when every watch heap is a heap whose entries' slots point back at them, else what is wrong
    /// (the invariant checker's view; allocates).</summary>
    internal string? HeapMismatch()
    {
        for (var i = 0; i < _longs.Length; i++)
            if ((_longs[i].Mismatch(_watched) ?? _shorts[i].Mismatch(_watched)) is { } found) return found;
        return null;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void GrowFlags(int account)
    {
        var n = Math.Max(_isDirty.Length * 2, account + 1);
        Array.Resize(ref _isDirty, n);
        Array.Resize(ref _watched, n);
    }
}
