using System.Runtime.CompilerServices;

namespace Exchange.Core.Risk;

/// <summary>
/// The liquidatable accounts, ordered worst first: lowest E/MM, compared exactly as E_a x MM_b &lt; E_b x MM_a in
/// Int128, ties by lower account id. A flat account in debt has MM = 0 and E &lt; 0, so it sorts before any account
/// with a position (0 &lt; E_b x 0 is false, E_a x MM_b &lt; 0 is true) and two of them tie, ordered by id. An indexed binary heap: an account
/// whose E or MM changes is re-keyed in O(log k), so a cascade of k liquidations costs O(k log k), not O(k²).
/// </summary>
internal sealed class CandidateQueue
{
    private Entry[] _heap = new Entry[64];
    private int[] _slot = new int[1024];
    private int _count;

    public int Count => _count;

    /// <summary>The worst account; only when not empty.</summary>
    public int Top => _heap[0].Account;
    public long TopEquity => _heap[0].Equity;
    public long TopMaintenance => _heap[0].Maintenance;

    /// <summary>Whether the account is queued. An empty queue (the usual case) answers without reading the account's slot,
    /// a cold line for a random account (every slot is 0 while the queue is empty).</summary>
    public bool Contains(int account) => _count > 0 && account < _slot.Length && _slot[account] != 0;

    /// <summary>Inserts the account or updates its key.</summary>
    public void Set(int account, long equity, long maintenance)
    {
        if (account >= _slot.Length) Array.Resize(ref _slot, Math.Max(_slot.Length * 2, account + 1));
        var entry = new Entry(equity, maintenance, account);
        var i = _slot[account] - 1;
        if (i < 0)
        {
            if (_count == _heap.Length) Array.Resize(ref _heap, _heap.Length * 2);
            i = _count++;
        }
        _heap[i] = entry;
        _slot[account] = i + 1;
        SiftUp(i);
        SiftDown(_slot[account] - 1);
    }

    public void Remove(int account)
    {
        if (!Contains(account)) return;
        var i = _slot[account] - 1;
        _slot[account] = 0;
        var last = --_count;
        if (i == last) return;
        _heap[i] = _heap[last];
        _slot[_heap[i].Account] = i + 1;
        SiftUp(i);
        SiftDown(_slot[_heap[i].Account] - 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Worse(in Entry a, in Entry b)
    {
        var lhs = (Int128)a.Equity * b.Maintenance;
        var rhs = (Int128)b.Equity * a.Maintenance;
        return lhs < rhs || (lhs == rhs && a.Account < b.Account);
    }

    private void SiftUp(int i)
    {
        var e = _heap[i];
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (!Worse(e, _heap[parent])) break;
            Place(i, _heap[parent]);
            i = parent;
        }
        Place(i, e);
    }

    private void SiftDown(int i)
    {
        var e = _heap[i];
        while (true)
        {
            var child = 2 * i + 1;
            if (child >= _count) break;
            if (child + 1 < _count && Worse(_heap[child + 1], _heap[child])) child++;
            if (!Worse(_heap[child], e)) break;
            Place(i, _heap[child]);
            i = child;
        }
        Place(i, e);
    }

    private void Place(int i, in Entry e)
    {
        _heap[i] = e;
        _slot[e.Account] = i + 1;
    }

    private readonly record struct Entry(long Equity, long Maintenance, int Account);
}
