using System.Diagnostics;

namespace Exchange.Core.Pipeline;

/// <summary>
/// Optionally spins for a few microseconds, then sleeps on a monitor until a producer publishes (or a consumer this one
/// follows moves on): an idle consumer uses no CPU, at the price of a wake-up latency of microseconds. Signalling is "lite"
/// (LMAX's LiteBlockingWaitStrategy): a publisher takes the lock and pulses only when a waiter said it is going to
/// sleep, so under load, when the consumer keeps up by spinning, publishing is one interlocked exchange.
/// </summary>
/// <remarks>
/// Create it with <c>new BlockingWaitStrategy()</c>: the producer and every consumer must share the one monitor,
/// which the copies of this struct do by sharing the reference made by the constructor (a <c>default</c> value
/// has none and is rejected by the ring buffer).
/// </remarks>
public readonly struct BlockingWaitStrategy : IWaitStrategy
{
    private readonly SharedMonitor _monitor;
    private readonly long _spinTicks;
    private readonly long _yieldTicks;

    /// <summary>Creates the strategy and the monitor its copies share; waiters sleep at once.</summary>
    public BlockingWaitStrategy()
        : this(TimeSpan.Zero)
    {
    }

    /// <summary>Creates the strategy and the monitor its copies share.</summary>
    /// <param name="spinBeforeSleep">
    /// How long a waiter spins before it sleeps. Work arriving within it costs no futex wake-up or context switch
    /// (tens of microseconds on a loaded VM); an idle consumer still costs nothing after it. Worth it only when each
    /// spinning thread has a core: with more threads than cores, spinning takes the core another stage needs
    /// (measured on 2 vCPUs: the parallel layout's p50 at 10k/s went from 37 to 89 µs with 10 µs of spin, while the
    /// single-thread layout's at 100k/s went from 12 to 4 µs; docs/benchmarks.md).
    /// </param>
    public BlockingWaitStrategy(TimeSpan spinBeforeSleep)
        : this(spinBeforeSleep, TimeSpan.Zero)
    {
    }

    /// <summary>Creates the strategy and the monitor its copies share.</summary>
    /// <param name="spinBeforeSleep">How long a waiter spins before it sleeps (see the other constructor).</param>
    /// <param name="yieldBeforeSleep">
    /// How long a waiter then keeps polling, giving its CPU away (<see cref="Thread.Yield"/>) between polls, before it
    /// sleeps. Under continuous traffic the waiter then never sleeps, so neither it nor its producers pay a futex
    /// wake-up and context switch per batch (on the 2-vCPU VM a wake-up costs the waker a system call and the woken
    /// thread tens of microseconds); unlike a spin, a yield lets any other runnable thread of the CPU run first. An idle
    /// waiter still sleeps after it. Zero (the default) goes straight from the spin to sleep.
    /// </param>
    public BlockingWaitStrategy(TimeSpan spinBeforeSleep, TimeSpan yieldBeforeSleep)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(spinBeforeSleep.Ticks);
        ArgumentOutOfRangeException.ThrowIfNegative(yieldBeforeSleep.Ticks);
        _monitor = new SharedMonitor();
        _spinTicks = (long)((Int128)spinBeforeSleep.Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond);
        _yieldTicks = (long)((Int128)yieldBeforeSleep.Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond);
    }

    internal bool IsDefault => _monitor is null;

    /// <inheritdoc />
    public bool IsBlockingStrategy => true;

    /// <inheritdoc />
    public long WaitFor(long sequence, SequenceBarrier barrier)
    {
        // The dependents (or, with none, the cursor) never pass the cursor, so they are the one thing to wait for;
        // producers and the consumers followed both signal this monitor (BatchEventProcessor signals after a batch).
        long available;
        if ((available = barrier.DependentValue) >= sequence)
            return available;

        if (_spinTicks > 0)
        {
            long spinUntil = Stopwatch.GetTimestamp() + _spinTicks;
            do
            {
                Thread.SpinWait(8);
                if ((available = barrier.DependentValue) >= sequence || barrier.IsAlerted)
                    return available;
            }
            while (Stopwatch.GetTimestamp() < spinUntil);
        }

        if (_yieldTicks > 0)
        {
            long yieldUntil = Stopwatch.GetTimestamp() + _yieldTicks;
            do
            {
                Thread.Yield();
                if ((available = barrier.DependentValue) >= sequence || barrier.IsAlerted)
                    return available;
            }
            while (Stopwatch.GetTimestamp() < yieldUntil);
        }

        lock (_monitor)
        {
            while (true)
            {
                // A full fence between announcing the sleep and re-reading the sequence: a publisher that missed the
                // announcement published before this read, and one that comes after sees it and pulses (Dekker).
                Interlocked.Exchange(ref _monitor.SignalNeeded, 1);
                if ((available = barrier.DependentValue) >= sequence || barrier.IsAlerted)
                    return available;
                Monitor.Wait(_monitor);
            }
        }
    }

    /// <inheritdoc />
    public void SignalAllWhenBlocking()
    {
        // The caller's sequence store comes before this exchange (a full fence); the lock then orders the pulse after
        // a waiter's check-and-wait, so a wake-up cannot be lost between the two.
        if (Interlocked.Exchange(ref _monitor.SignalNeeded, 0) != 0)
        {
            lock (_monitor)
                Monitor.PulseAll(_monitor);
        }
    }

    private sealed class SharedMonitor
    {
        public int SignalNeeded;
    }
}
