namespace Exchange.Gateway.Sessions;

/// <summary>
/// An auto-reset wake-up for one async waiter. <see cref="Set"/> never blocks and coalesces: any number of sets
/// before the waiter runs give one wake-up, which is enough because the waiter re-reads all state after waking.
/// </summary>
internal sealed class AsyncSignal
{
    private readonly SemaphoreSlim _semaphore = new(0);
    private int _set;

    public void Set()
    {
        if (Interlocked.Exchange(ref _set, 1) == 0) _semaphore.Release();
    }

    public async Task WaitAsync()
    {
        await _semaphore.WaitAsync().ConfigureAwait(false);
        // Reset before the caller re-reads its state: a Set racing with this either finds the flag still set (its
        // change is then seen by that re-read) or releases again (and the next wait returns at once).
        Volatile.Write(ref _set, 0);
    }
}
