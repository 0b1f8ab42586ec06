using System.Numerics;
using System.Runtime.CompilerServices;

namespace Exchange.Core.Book;

/// <summary>
/// Exchange order id → order handle. The exchange assigns order ids one after another, so the live ids are nearly a
/// contiguous run and the id itself, masked to a power-of-two table at most half full, is a direct index: a look-up
/// is one load and one compare in the usual case, where <see cref="Dictionary{TKey,TValue}"/> hashes, divides and
/// follows a chain. Collisions (an old order still resting where a new id lands) probe linearly, and removal shifts
/// the rest of the probe run back, so no tombstones build up. Ids are positive; 0 marks an empty slot. A book side
/// uses the same index from a level's price to its slot (<see cref="BookSide"/>): resting prices are positive and
/// cluster around the mark, so they too are nearly a contiguous run.
/// </summary>
internal sealed class OrderIdIndex
{
    private long[] _ids;
    private int[] _handles;
    private int _mask;
    private int _count;

    public OrderIdIndex(int capacity)
    {
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, capacity * 2));
        _ids = new long[size];
        _handles = new int[size];
        _mask = size - 1;
    }

    public int Count => _count;

    public bool TryGet(long id, out int handle)
    {
        var ids = _ids;
        var mask = _mask;
        for (var i = (int)id & mask; ; i = (i + 1) & mask)
        {
            var k = ids[i];
            if (k == id && k != 0)
            {
                handle = _handles[i];
                return true;
            }
            if (k == 0)
            {
                handle = -1;
                return false;
            }
        }
    }

    /// <summary>Adds an id that is not in the index (as <see cref="Dictionary{TKey,TValue}.Add"/>, a duplicate throws).</summary>
    public void Add(long id, int handle)
    {
        if (id <= 0) ThrowInvalidId(id);
        if (_count * 2 >= _ids.Length) Grow();
        var mask = _mask;
        var i = (int)id & mask;
        while (_ids[i] != 0)
        {
            if (_ids[i] == id) ThrowDuplicate(id);
            i = (i + 1) & mask;
        }
        _ids[i] = id;
        _handles[i] = handle;
        _count++;
    }

    public bool Remove(long id)
    {
        if (id <= 0) return false;
        var mask = _mask;
        var i = (int)id & mask;
        while (_ids[i] != id)
        {
            if (_ids[i] == 0) return false;
            i = (i + 1) & mask;
        }
        // Backward-shift deletion: move up any later entry of the run whose home slot is not in (i, j].
        var j = i;
        while (true)
        {
            j = (j + 1) & mask;
            var k = _ids[j];
            if (k == 0) break;
            var home = (int)k & mask;
            var stays = i <= j ? i < home && home <= j : i < home || home <= j;
            if (stays) continue;
            _ids[i] = k;
            _handles[i] = _handles[j];
            i = j;
        }
        _ids[i] = 0;
        _count--;
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow()
    {
        var oldIds = _ids;
        var oldHandles = _handles;
        _ids = new long[oldIds.Length * 2];
        _handles = new int[oldIds.Length * 2];
        _mask = _ids.Length - 1;
        _count = 0;
        for (var i = 0; i < oldIds.Length; i++)
            if (oldIds[i] != 0) Add(oldIds[i], oldHandles[i]);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowInvalidId(long id) => throw new ArgumentOutOfRangeException(nameof(id), id, "order ids are positive");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowDuplicate(long id) => throw new ArgumentException($"order id {id} is already indexed", nameof(id));
}
