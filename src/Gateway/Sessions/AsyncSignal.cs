using System.Threading.Tasks.Sources;

namespace Exchange.Gateway.Sessions;

/// <summary>
/// An auto-reset wake-up for one async waiter. Setting never blocks and coalesces: any number of sets before the
/// waiter runs give one wake-up, which is enough because the waiter re-reads all state after waking. Allocation-free
/// (the waiter's <see cref="ValueTask"/> is backed by this object).
/// </summary>
internal sealed class AsyncSignal : IValueTaskSource
{
    private const int Idle = 0, Signalled = 1, Waiting = 2;
    private ManualResetValueTaskSourceCore<bool> _core;
    private int _state;

    /// <summary>Whether a waiter is parked in <see cref="WaitAsync"/> (for tests).</summary>
    internal bool IsWaiting => Volatile.Read(ref _state) == Waiting;

    /// <summary>Wakes the waiter on a thread-pool thread (safe from any thread, under any lock).</summary>
    public void Set() => Set(inline: false);

    /// <summary>
    /// Wakes the waiter on this thread: it runs here until its next await that does not complete at once. Saves the
    /// thread-pool hand-off, so only call it holding no lock the waiter might take.
    /// </summary>
    public void SetInline() => Set(inline: true);

    private void Set(bool inline)
    {
        while (true)
        {
            switch (Volatile.Read(ref _state))
            {
                case Signalled:
                    return;
                case Idle:
                    if (Interlocked.CompareExchange(ref _state, Signalled, Idle) == Idle) return;
                    break;
                default:
                    // Only the setter that moves the state off Waiting completes the wait.
                    if (Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
                    {
                        _core.RunContinuationsAsynchronously = !inline;
                        _core.SetResult(true);
                        return;
                    }
                    break;
            }
        }
    }

    /// <summary>Completes at once if set since the last wait, else when next set. One waiter at a time.</summary>
    public ValueTask WaitAsync()
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Signalled) == Signalled) return default;
        _core.Reset();
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) == Idle) return new ValueTask(this, _core.Version);
        // Set between the two exchanges: take it.
        Volatile.Write(ref _state, Idle);
        return default;
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
