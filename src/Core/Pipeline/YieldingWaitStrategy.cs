namespace Exchange.Core.Pipeline;

/// <summary>
/// Spins briefly, then calls <see cref="Thread.Yield"/> between checks: close to busy-spin latency while letting
/// other runnable threads use the core, a good default when there are about as many busy threads as cores.
/// </summary>
public readonly struct YieldingWaitStrategy : IWaitStrategy
{
    // Long enough to catch a producer that is mid-publish without a context switch, short enough that an idle
    // consumer gives the core away within about a microsecond.
    private const int SpinTries = 100;

    /// <inheritdoc />
    public bool IsBlockingStrategy => false;

    /// <inheritdoc />
    public long WaitFor(long sequence, SequenceBarrier barrier)
    {
        int counter = SpinTries;
        long available;
        while ((available = barrier.DependentValue) < sequence)
        {
            if (barrier.IsAlerted)
                return available;
            if (counter > 0)
                counter--;
            else
                Thread.Yield();
        }

        return available;
    }

    /// <inheritdoc />
    public void SignalAllWhenBlocking()
    {
    }
}
