using System.Runtime.CompilerServices;
using Exchange.Core.Accounts;

namespace Exchange.Core.Risk;

/// <summary>
/// An indexed binary min-heap of (trigger key, account) for one instrument and one position side. Each position
/// remembers its slot (<see cref="Position.WatchSlot"/>) so it can be removed in O(log n) when the account changes.
/// Preallocated arrays; grows out of line.
/// </summary>
internal sealed class WatchHeap
{
    private readonly AccountStore _accounts;
    private readonly int _instrument;
    private readonly int _slotSign;
    private long[] _keys;
    private int[] _ids;
    private int _count;

    // slotSign is +1 or -1: the sign this heap gives the slots it writes, so a position knows which of its
    // instrument's two heaps holds it even after it flipped sides.
    public WatchHeap(AccountStore accounts, int instrument, int slotSign, int capacity)
    {
        _accounts = accounts;
        _instrument = instrument;
        _slotSign = slotSign;
        _keys = new long[capacity];
        _ids = new int[capacity];
    }

    public int Count => _count;

    /// <summary>The key of the entry at a position's slot (tests).</summary>
    internal long KeyAt(int slot) => _keys[slot * _slotSign - 1];
    public long TopKey => _keys[0];
    public int TopAccount => _ids[0];

    public void Push(int account, long key)
    {
        if (_count == _keys.Length) Grow();
        var i = _count++;
        _keys[i] = key;
        _ids[i] = account;
        SiftUp(i);
    }

    /// <summary>Removes the entry at a position's slot (as stored in <see cref="Position.WatchSlot"/>).</summary>
    public void RemoveAt(int slot)
    {
        var i = slot * _slotSign - 1;
        SlotOf(_ids[i]) = 0;
        var last = --_count;
        if (i == last) return;
        _keys[i] = _keys[last];
        _ids[i] = _ids[last];
        SlotOf(_ids[i]) = (i + 1) * _slotSign;
        if (i > 0 && _keys[i] < _keys[(i - 1) >> 1]) SiftUp(i); else SiftDown(i);
    }

    /// <summary>Gives the entry at a position's slot a new key (an in-place re-key: the same set of entries as a
    /// removal and a push, in one sift).</summary>
    public void Update(int slot, long key)
    {
        var i = slot * _slotSign - 1;
        var old = _keys[i];
        _keys[i] = key;
        if (key < old) SiftUp(i);
        else if (key > old) SiftDown(i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref int SlotOf(int account) => ref _accounts.Position(account, _instrument).WatchSlot;

    private void SiftUp(int i)
    {
        var key = _keys[i];
        var id = _ids[i];
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (_keys[parent] <= key) break;
            _keys[i] = _keys[parent];
            _ids[i] = _ids[parent];
            SlotOf(_ids[i]) = (i + 1) * _slotSign;
            i = parent;
        }
        _keys[i] = key;
        _ids[i] = id;
        SlotOf(id) = (i + 1) * _slotSign;
    }

    private void SiftDown(int i)
    {
        var key = _keys[i];
        var id = _ids[i];
        while (true)
        {
            var child = 2 * i + 1;
            if (child >= _count) break;
            if (child + 1 < _count && _keys[child + 1] < _keys[child]) child++;
            if (_keys[child] >= key) break;
            _keys[i] = _keys[child];
            _ids[i] = _ids[child];
            SlotOf(_ids[i]) = (i + 1) * _slotSign;
            i = child;
        }
        _keys[i] = key;
        _ids[i] = id;
        SlotOf(id) = (i + 1) * _slotSign;
    }

    /// <summary>Null when <paramref name="other"/> holds the same entries (account and key), else the first difference
    /// (tests: the index with and without <see cref="LiquidationIndex.Filled"/>'s skip; allocates). The slots are not
    /// compared: which slot an entry lands in depends on the order accounts were evaluated in, which a skipped
    /// evaluation changes (an IOC's taker skipped at its first fill and marked dirty at its second is evaluated after
    /// that fill's maker, not before) and which is not observable (the heaps only decide which triggers a mark crosses).</summary>
    internal string? Difference(WatchHeap other)
    {
        if (_count != other._count) return $"watch heap {_instrument}/{_slotSign}: {_count} entries against {other._count}";
        var mine = Entries();
        var theirs = other.Entries();
        for (var i = 0; i < _count; i++)
            if (mine[i] != theirs[i])
                return $"watch heap {_instrument}/{_slotSign}: entry {i} by account is account {mine[i].Account} key {mine[i].Key} against account {theirs[i].Account} key {theirs[i].Key}";
        return null;
    }

    private (int Account, long Key)[] Entries()
    {
        var entries = new (int Account, long Key)[_count];
        for (var i = 0; i < _count; i++) entries[i] = (_ids[i], _keys[i]);
        Array.Sort(entries);
        return entries;
    }

    /// <summary>
    /// Null when every entry is no smaller than its parent and its position's slot points back at it, else what is
    /// wrong (the invariant checker's view; allocates).
    /// </summary>
    internal string? Mismatch(ulong[] watched)
    {
        for (var i = 0; i < _count; i++)
        {
            var a = _ids[i];
            if (i > 0 && _keys[i] < _keys[(i - 1) >> 1])
                return $"watch heap {_instrument}/{_slotSign}: entry {i} (account {a}) key {_keys[i]} < its parent's {_keys[(i - 1) >> 1]}";
            if (SlotOf(a) != (i + 1) * _slotSign)
                return $"watch heap {_instrument}/{_slotSign}: account {a} at {i} has slot {SlotOf(a)}";
            if ((watched[a] & (1UL << _instrument)) == 0)
                return $"watch heap {_instrument}/{_slotSign}: account {a} is in the heap but not marked watched";
        }
        return null;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow()
    {
        Array.Resize(ref _keys, _keys.Length * 2);
        Array.Resize(ref _ids, _ids.Length * 2);
    }
}
