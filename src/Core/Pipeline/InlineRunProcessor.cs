namespace Exchange.Core.Pipeline;

/// <summary>
/// A consumer whose batches any thread may run (<see cref="PipelineOptions.InlineRuns"/>). Its own thread, started as
/// <see cref="BatchEventProcessor{T, THandler, TWait}"/>'s is, runs what producers publish with a signal; a producer
/// that published without one (<see cref="RingBuffer{T}.PublishWithoutSignal"/>) calls <see cref="TryRun"/> and runs
/// the batch on its own thread, which saves the wake-up of the consumer's thread (tens of microseconds on a loaded VM).
/// </summary>
/// <remarks>
/// One thread at a time holds the run (a compare-and-swap), so the handler is called in sequence order by one thread
/// at a time, as by a processor of its own; the interlocked operations that take and release the run order each
/// run's handler calls after the previous run's, whichever threads they were on. A thread that finds the run taken
/// leaves at once: the holder re-reads the ring after it lets go (a full fence), so it sees every slot published
/// before the failed attempt and takes it back if one is left. A handler that throws stops the consumer for good, as
/// it stops a processor's thread: the run stays taken and <see cref="Fault"/> says why.
/// </remarks>
internal sealed class InlineRunProcessor<THandler, TWait>(RingBuffer<CommandSlot> ringBuffer, SequenceBarrier barrier, THandler handler)
    where THandler : struct, IEventHandler<CommandSlot> where TWait : struct, IWaitStrategy
{
    // The run: free, taken by the thread running the handler, or closed for good by a halt.
    private const int Free = 0, Taken = 1, Closed = 2;
    private int _run;

    private THandler _handler = handler;
    // Taken from the ring, so the consumer's thread sleeps on the monitor the signalling producers pulse.
    private TWait _waitStrategy = ringBuffer.GetWaitStrategy<TWait>();
    private readonly Sequence _sequence = new();
    private volatile Exception? _fault;
    private Thread? _thread;
    private int _cpu = -1;

    /// <summary>The last sequence handled: the producers gate on it.</summary>
    public Sequence Sequence => _sequence;

    /// <summary>The exception the handler threw, if it did: nothing runs any more.</summary>
    public Exception? Fault => _fault;

    /// <summary>Starts the consumer's own thread, which runs whatever is published with a signal.</summary>
    public void Start(string threadName, int cpu)
    {
        _cpu = cpu;
        var thread = new Thread(RunOnThread) { IsBackground = true, Name = threadName };
        _thread = thread;
        thread.Start();
    }

    /// <summary>
    /// Runs every published slot on the calling thread, unless another thread holds the run (it then takes them) or
    /// the processor is halted or faulted. Any thread; the handler runs on it.
    /// </summary>
    public void TryRun()
    {
        while (Interlocked.CompareExchange(ref _run, Taken, Free) == Free)
        {
            long done;
            try
            {
                done = Process();
            }
            catch (Exception exception)
            {
                // The run stays taken: the consumer stops, and the producers soon see a full ring.
                _fault = exception;
                return;
            }

            // A full fence between letting go and the re-read: an attempt that failed while this thread held the run
            // came after its slot was published, so the re-read sees that slot.
            Interlocked.Exchange(ref _run, Free);
            if (!ringBuffer.IsAvailable(done + 1))
                return;
        }
    }

    /// <summary>Closes the run once the thread holding it (if any) lets go and stops the consumer's thread; the slots
    /// published after are never handled. Does not wait for the thread: see <see cref="WaitForShutdown"/>.</summary>
    public void Halt()
    {
        var spin = new SpinWait();
        while (_fault is null && Interlocked.CompareExchange(ref _run, Closed, Free) != Free
               && Volatile.Read(ref _run) != Closed)
            spin.SpinOnce();
        barrier.Alert();
    }

    /// <summary>Waits for the consumer's thread to return.</summary>
    public bool WaitForShutdown(TimeSpan timeout) => _thread?.Join(timeout) ?? true;

    // Handles batches while slots are published; returns the last sequence handled. A run is not cut short to hand the
    // rest to the consumer's thread: that thread may have seen those slots already and would not wait for them again
    // (it would take a flag its wait strategy does not watch); a producer that keeps publishing is running its own.
    private long Process()
    {
        long next = _sequence.Value + 1;
        long available;
        while ((available = barrier.Available(next)) >= next)
        {
            for (; next <= available; next++)
                _handler.OnEvent(ref ringBuffer[next], next, next == available);
            // Release store after the handler is done: the producers may overwrite these slots from here on.
            _sequence.SetValue(available);
        }
        return next - 1;
    }

    private void RunOnThread()
    {
        try
        {
            if (_cpu >= 0)
                ThreadAffinity.PinCurrentThread(_cpu);
        }
        catch (Exception exception)
        {
            _fault = exception;
            return;
        }

        // What this thread has seen published: a slot another thread is running, or will run, is not waited for again.
        long seen = _sequence.Value;
        while (!barrier.IsAlerted)
        {
            // Never behind what the producers' runs handled: a slot a lap behind reads as unpublished, and waiting for
            // it would never end.
            seen = Math.Max(seen, _sequence.Value);
            long available = barrier.WaitFor(ref _waitStrategy, seen + 1);
            if (available > seen)
            {
                TryRun();
                seen = available;
            }
        }
    }
}
