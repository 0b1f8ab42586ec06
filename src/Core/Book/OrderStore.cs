using System.Runtime.CompilerServices;

namespace Exchange.Core.Book;

/// <summary>
/// Preallocated struct storage for resting orders with a free list, and the O(1) maps from exchange order id and
/// (account, client order id) to handle. Both maps are sized up front and allocate only when they grow past that.
/// Order ids go through <see cref="OrderIdIndex"/>, a direct index on the id the exchange assigned.
/// </summary>
internal sealed class OrderStore
{
    private Order[] _orders;
    private int[] _free;
    private int _freeCount;
    private int _highWater;
    private readonly OrderIdIndex _byId;
    private readonly Dictionary<(int Account, long ClientId), int> _byClientId;

    public OrderStore(int capacity)
    {
        _orders = new Order[capacity];
        _free = new int[capacity];
        for (var i = 0; i < capacity; i++) _free[i] = capacity - 1 - i;
        _freeCount = capacity;
        _byId = new OrderIdIndex(capacity);
        _byClientId = new Dictionary<(int, long), int>(capacity);
    }

    public int Count => _byId.Count;

    /// <summary>Handles in use or free: every handle is below this.</summary>
    public int Capacity => _orders.Length;

    public ref Order this[int handle] => ref _orders[handle];

    /// <summary>Prefetches a resting order's line(s) (see <see cref="CacheLines"/>); <paramref name="handle"/> must be
    /// one in use.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(int handle) => CacheLines.Prefetch(ref _orders[handle]);

    /// <summary>One past the highest handle ever allocated: every order in use is below it (a snapshot copies only
    /// these slots, not the whole capacity).</summary>
    public int HighWater => _highWater;

    public int Allocate()
    {
        if (_freeCount == 0) Grow();
        var handle = _free[--_freeCount];
        if (handle >= _highWater) _highWater = handle + 1;
        return handle;
    }

    /// <summary>Copies the slots below <see cref="HighWater"/> (in use or not), a block copy for a snapshot's capture.</summary>
    public void CopyTo(Span<Order> destination) => Journal.StreamingCopy.Copy<Order>(_orders.AsSpan(0, _highWater), destination);

    /// <summary>Registers an allocated order in the id maps (its fields must be set).</summary>
    public void Register(int handle)
    {
        ref var o = ref _orders[handle];
        _byId.Add(o.Id, handle);
        if (o.ClientOrderId != 0) _byClientId.Add((o.AccountId, o.ClientOrderId), handle);
    }

    public void Release(int handle)
    {
        ref var o = ref _orders[handle];
        _byId.Remove(o.Id);
        if (o.ClientOrderId != 0) _byClientId.Remove((o.AccountId, o.ClientOrderId));
        o = default;
        _free[_freeCount++] = handle;
    }

    public bool TryGetById(long orderId, out int handle) => _byId.TryGet(orderId, out handle);

    public bool TryGetByClientId(int account, long clientOrderId, out int handle) =>
        _byClientId.TryGetValue((account, clientOrderId), out handle);

    public bool ClientIdInUse(int account, long clientOrderId) =>
        clientOrderId != 0 && _byClientId.ContainsKey((account, clientOrderId));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow()
    {
        var old = _orders.Length;
        Array.Resize(ref _orders, old * 2);
        Array.Resize(ref _free, old * 2);
        for (var i = 0; i < old; i++) _free[i] = old * 2 - 1 - i;
        _freeCount = old;
    }
}
