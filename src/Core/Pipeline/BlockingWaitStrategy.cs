namespace Exchange.Core.Pipeline;

/// <summary>
/// Sleeps on a monitor until a producer publishes: an idle consumer uses no CPU, at the price of a wake-up
/// latency of microseconds and a lock taken by the producer on every publish. For low CPU use (tests, tools,
/// quiet environments), not for the latency-critical path.
/// </summary>
/// <remarks>
/// Create it with <c>new BlockingWaitStrategy()</c>: the producer and every consumer must share the one monitor,
/// which the copies of this struct do by sharing the reference made by the constructor (a <c>default</c> value
/// has none and is rejected by the ring buffer).
/// </remarks>
public readonly struct BlockingWaitStrategy : IWaitStrategy
{
    private readonly object _gate;

    /// <summary>Creates the strategy and the monitor its copies share.</summary>
    public BlockingWaitStrategy() => _gate = new object();

    internal bool IsDefault => _gate is null;

    /// <inheritdoc />
    public bool IsBlockingStrategy => true;

    /// <inheritdoc />
    public long WaitFor(long sequence, SequenceBarrier barrier)
    {
        if (barrier.CursorValue < sequence)
            WaitForCursor(sequence, barrier);

        // Dependent consumers do not signal, so their progress is polled; SpinWait backs off to sleeping.
        var spin = new SpinWait();
        long available;
        while ((available = barrier.DependentValue) < sequence)
        {
            if (barrier.IsAlerted)
                return available;
            spin.SpinOnce();
        }

        return available;
    }

    /// <inheritdoc />
    public void SignalAllWhenBlocking()
    {
        // Taking the lock orders the producer's cursor store before the pulse with respect to a waiter's check
        // under the same lock, so a wake-up cannot be lost between the waiter's check and its Wait.
        lock (_gate)
            Monitor.PulseAll(_gate);
    }

    private void WaitForCursor(long sequence, SequenceBarrier barrier)
    {
        lock (_gate)
        {
            while (barrier.CursorValue < sequence && !barrier.IsAlerted)
                Monitor.Wait(_gate);
        }
    }
}
