namespace Exchange.Core.Pipeline;

/// <summary>
/// Runs one consumer: waits on its barrier, hands every available event to the handler in sequence order as one
/// batch, then publishes its progress through <see cref="Sequence"/> (which producers or later consumers gate on).
/// The handler and wait strategy are type parameters, so with struct arguments the loop is specialised and has no
/// virtual call or allocation.
/// </summary>
/// <typeparam name="T">The slot type.</typeparam>
/// <typeparam name="THandler">The handler, a struct.</typeparam>
/// <typeparam name="TWait">The wait strategy: the one the ring buffer was created with.</typeparam>
public sealed class BatchEventProcessor<T, THandler, TWait>
    where T : struct
    where THandler : struct, IEventHandler<T>
    where TWait : struct, IWaitStrategy
{
    private const int Idle = 0;
    private const int Running = 1;
    private const int Halted = 2;

    private readonly RingBuffer<T> _ringBuffer;
    private readonly SequenceBarrier _barrier;
    private readonly Sequence _sequence = new();
    private THandler _handler;
    private TWait _waitStrategy;
    private int _state;
    private Thread? _thread;
    private volatile Exception? _fault;
    private int _cpu = -1;

    /// <summary>Creates a processor; it does nothing until <see cref="Start"/> or <see cref="Run"/>.</summary>
    /// <param name="ringBuffer">The ring to read.</param>
    /// <param name="barrier">From <see cref="RingBuffer{T}.NewBarrier"/>, naming the consumers this one follows.</param>
    /// <param name="handler">The handler, copied into the processor (see <see cref="Handler"/>).</param>
    /// <exception cref="ArgumentException"><typeparamref name="TWait"/> is not the ring buffer's wait strategy type.</exception>
    public BatchEventProcessor(RingBuffer<T> ringBuffer, SequenceBarrier barrier, THandler handler)
    {
        ArgumentNullException.ThrowIfNull(ringBuffer);
        ArgumentNullException.ThrowIfNull(barrier);
        _ringBuffer = ringBuffer;
        _barrier = barrier;
        _handler = handler;
        // Taken from the ring, not passed in, so a blocking consumer waits on the very monitor producers pulse.
        _waitStrategy = ringBuffer.GetWaitStrategy<TWait>();
    }

    /// <summary>The last sequence handled: gate producers (or follow with another consumer) on it.</summary>
    public Sequence Sequence => _sequence;

    /// <summary>The processor's own copy of the handler. Only read it while the processor is not running.</summary>
    public ref THandler Handler => ref _handler;

    /// <summary>Whether the processor is running (it stays so until its loop has returned after a halt).</summary>
    public bool IsRunning => Volatile.Read(ref _state) != Idle;

    /// <summary>The exception that ended the processor's thread, if the handler threw.</summary>
    public Exception? Fault => _fault;

    /// <summary>Starts processing on a new background thread.</summary>
    /// <param name="threadName">The thread's name.</param>
    /// <param name="cpu">A CPU to pin the thread to before it processes anything; -1 = not pinned. A pin the OS
    /// refuses ends the thread with a <see cref="Fault"/>.</param>
    /// <exception cref="InvalidOperationException">Already running.</exception>
    public Thread Start(string? threadName = null, int cpu = -1)
    {
        Enter();
        _cpu = cpu;
        var thread = new Thread(RunOnThread) { IsBackground = true, Name = threadName ?? "BatchEventProcessor" };
        _thread = thread;
        thread.Start();
        return thread;
    }

    /// <summary>
    /// Processes on the calling thread until <see cref="Halt"/>; an exception from the handler ends the loop
    /// and propagates (the events before it in the batch are handled but not yet marked in <see cref="Sequence"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">Already running.</exception>
    public void Run()
    {
        Enter();
        try
        {
            ProcessEvents();
        }
        finally
        {
            Volatile.Write(ref _state, Idle);
        }
    }

    /// <summary>
    /// Asks the processor to stop; it returns after handling what its current wait already made available.
    /// Does not wait: see <see cref="WaitForShutdown"/>. To drain the ring first, wait until <see cref="Sequence"/>
    /// reaches the cursor.
    /// </summary>
    public void Halt()
    {
        if (Interlocked.CompareExchange(ref _state, Halted, Running) == Running)
            _barrier.Alert();
    }

    /// <summary>Waits for the processor's loop to return.</summary>
    /// <returns>Whether it stopped within <paramref name="timeout"/>.</returns>
    public bool WaitForShutdown(TimeSpan timeout)
    {
        var thread = _thread;
        if (thread is not null)
            return thread.Join(timeout);
        return SpinWait.SpinUntil(() => !IsRunning, timeout);
    }

    private void Enter()
    {
        // Cleared before the state says Running, so a Halt that sees Running is never undone by this clear.
        _barrier.ClearAlert();
        if (Interlocked.CompareExchange(ref _state, Running, Idle) != Idle)
            ThrowHelper.AlreadyRunning();
    }

    private void RunOnThread()
    {
        try
        {
            if (_cpu >= 0)
                ThreadAffinity.PinCurrentThread(_cpu);
            ProcessEvents();
        }
        catch (Exception exception)
        {
            // A faulted consumer stops gating progress; the owner finds out here rather than by a process crash.
            _fault = exception;
        }
        finally
        {
            Volatile.Write(ref _state, Idle);
        }
    }

    private void ProcessEvents()
    {
        long next = _sequence.Value + 1;
        while (true)
        {
            long available = _barrier.WaitFor(ref _waitStrategy, next);
            if (available >= next)
            {
                for (; next <= available; next++)
                    _handler.OnEvent(ref _ringBuffer[next], next, next == available);

                // Release store after the handler is done: the producer may overwrite these slots from here on.
                _sequence.SetValue(available);
                // A consumer that follows this one (the durability gate follows the journaler) may be blocked on the
                // monitor. A constant per strategy, so the check vanishes for the non-blocking ones.
                if (_waitStrategy.IsBlockingStrategy)
                    _waitStrategy.SignalAllWhenBlocking();
            }
            else if (_barrier.IsAlerted && Volatile.Read(ref _state) == Halted)
            {
                return;
            }
        }
    }
}
