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
    // Instruments in which each account has a heap entry (a position may go flat before its entry is removed).
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
            _isDirty[a] = false;
            Evaluate(a);
        }
        _dirtyCount = 0;
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
        Unwatch(a);
        if (!_accounts.HasPosition(a))
        {
            // A flat account in debt is liquidatable with MM = 0, which the exact E/MM order puts first.
            var balance = _accounts.Balance(a);
            if (balance < 0) _candidates.Set(a, balance, 0);
            else _candidates.Remove(a);
            return;
        }
        _margin.Totals(a, out var equity, out var maintenance);
        var slack = (Int128)equity - maintenance;
        if (slack < 0)
        {
            _candidates.Set(a, equity, maintenance);
            return;
        }
        _candidates.Remove(a);
        var share = slack / _accounts.PositionCount(a);
        for (var mask = _accounts.HeldMask(a); mask != 0; mask &= mask - 1)
        {
            var i = BitOperations.TrailingZeroCount(mask);
            var ins = _instruments[i];
            var q = _accounts.Position(a, i).Qty;
            var perTick = (Int128)Math.Abs(q) * ins.TickValue;
            var rate = perTick + CeilDiv(perTick * ins.Spec.MmrPpm, Million);
            var delta = (long)Int128.Min(share / rate, ins.Spec.MaxPrice + 1);
            if (q > 0) _longs[i].Push(a, -(ins.Mark - delta));
            else _shorts[i].Push(a, ins.Mark + delta);
        }
        _watched[a] = _accounts.HeldMask(a);
    }

    private void Unwatch(int a)
    {
        for (var mask = _watched[a]; mask != 0; mask &= mask - 1)
        {
            var i = BitOperations.TrailingZeroCount(mask);
            var slot = _accounts.Position(a, i).WatchSlot;
            if (slot > 0) _longs[i].RemoveAt(slot);
            else if (slot < 0) _shorts[i].RemoveAt(slot);
        }
        _watched[a] = 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void GrowFlags(int account)
    {
        var n = Math.Max(_isDirty.Length * 2, account + 1);
        Array.Resize(ref _isDirty, n);
        Array.Resize(ref _watched, n);
    }
}
