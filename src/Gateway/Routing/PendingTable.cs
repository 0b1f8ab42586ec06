namespace Exchange.Gateway.Routing;

/// <summary>
/// Published-but-unreported commands, addressed by correlation id: a preallocated power-of-two array of slots, claimed
/// by any session thread with a compare-and-swap and released by the output thread. A claim that lands on a busy slot
/// fails (the caller answers RATE_LIMITED) rather than waiting.
/// </summary>
internal sealed class PendingTable
{
    private readonly PendingCommand[] _slots;
    private readonly int[] _busy;
    private readonly long _mask;
    private long _next;

    public PendingTable(int capacity)
    {
        var size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, capacity));
        _slots = new PendingCommand[size];
        _busy = new int[size];
        _mask = size - 1;
    }

    /// <summary>Slots: the most commands published and not yet reported at once (a power of two).</summary>
    public int Capacity => _slots.Length;

    public bool TryClaim(out long correlation)
    {
        correlation = Interlocked.Increment(ref _next);
        return Interlocked.CompareExchange(ref _busy[correlation & _mask], 1, 0) == 0;
    }

    /// <summary>Frees every slot: a cluster node's next leadership term starts with none in flight (the previous term's
    /// pipeline stopped, and the commands it had not reported are answered, if at all, from the log). Only while no
    /// session and no pipeline uses the table.</summary>
    public void Reset()
    {
        Array.Clear(_slots);
        Array.Clear(_busy);
    }

    public ref PendingCommand this[long correlation] => ref _slots[correlation & _mask];

    public void Release(long correlation)
    {
        var i = correlation & _mask;
        _slots[i] = default;
        Volatile.Write(ref _busy[i], 0);
    }
}
