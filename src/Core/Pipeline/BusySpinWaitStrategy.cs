namespace Exchange.Core.Pipeline;

/// <summary>
/// Spins on the sequence without ever yielding the core: the lowest latency, at the cost of one core kept at
/// 100% per consumer. Use only when consumer threads are pinned to dedicated cores (more spinning threads than
/// cores makes everything slower, not faster).
/// </summary>
public readonly struct BusySpinWaitStrategy : IWaitStrategy
{
    /// <inheritdoc />
    public bool IsBlockingStrategy => false;

    /// <inheritdoc />
    public long WaitFor(long sequence, SequenceBarrier barrier)
    {
        long available;
        while ((available = barrier.DependentValue) < sequence)
        {
            if (barrier.IsAlerted)
                return available;
            // A PAUSE hint: frees pipeline resources for a hyper-threaded sibling and avoids the memory-order
            // mis-speculation penalty when the awaited store arrives.
            Thread.SpinWait(1);
        }

        return available;
    }

    /// <inheritdoc />
    public void SignalAllWhenBlocking()
    {
    }
}
