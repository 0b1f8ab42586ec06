namespace Exchange.Core.Pipeline;

/// <summary>
/// Sleeps on a monitor until a producer publishes: an idle consumer uses no CPU, at the price of a wake-up
/// latency of microseconds and a lock taken by the producer on every publish and by each consumer after every batch. For low CPU use (tests, tools,
/// quiet environments), not for the latency-critical path.
/// </summary>
/// <remarks>
/// Create it with <c>new BlockingWaitStrategy()</c>: the producer and every consumer must share the one monitor,
/// which the copies of this struct do by sharing the reference made by the constructor (a <c>default</c> value
/// has none and is rejected by the ring buffer).
/// </remarks>
public readonly struct BlockingWaitStrategy : IWaitStrategy
{
    // A few microseconds of spinning in all before blocking on the monitor.
    private const int DependentSpins = 32;
    private const int SpinIterations = 32;

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

        // A dependent consumer (the journaler, for the durability gate) signals the same monitor after each batch
        // (BatchEventProcessor), so the wait can block. Spin briefly first: a dependent that is mid-batch usually
        // finishes within a few microseconds, and a context switch costs more than that. No Sleep(1) ever: on Linux
        // it sleeps at least a millisecond, which used to be charged to every acknowledgement that found the
        // journal a few microseconds behind.
        long available;
        for (int spins = 0; spins < DependentSpins; spins++)
        {
            if ((available = barrier.DependentValue) >= sequence || barrier.IsAlerted)
                return available;
            Thread.SpinWait(SpinIterations);
        }

        lock (_gate)
        {
            while ((available = barrier.DependentValue) < sequence && !barrier.IsAlerted)
                Monitor.Wait(_gate);
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
