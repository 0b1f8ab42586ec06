using Exchange.Core.Journal;

namespace Exchange.Core.Pipeline;

/// <summary>
/// The single-thread pipeline's batches whose commits are in flight (<see cref="IJournal.MaxCommitsInFlight"/> above 1):
/// each ring batch is journaled and its commit begun at its end, and applied (then acknowledged) only once its commit is
/// done, oldest first; meanwhile the next ring batch is journaled and its commit begun too. Also the pipeline's wait
/// for whichever comes first: its next input, or news from the journal (<see cref="IJournal.OnCommitProgress"/>).
/// </summary>
/// <remarks>
/// The batches' slots stay unapplied in the ring after the processor has moved past them, so producers gate on
/// <see cref="Applied"/> instead of the processor's sequence.
/// </remarks>
internal abstract class CommitWindow
{
    private readonly long[] _first;
    private readonly long[] _last;
    private int _head;
    private long _progress;

    protected CommitWindow(int max, SequenceBarrier input)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 2);
        _first = new long[max];
        _last = new long[max];
        Input = input;
        Signal = OnProgress;
    }

    /// <summary>The most batches in flight.</summary>
    public int Max => _first.Length;

    /// <summary>How many batches are in flight (begun, not yet applied).</summary>
    public int Count { get; private set; }

    /// <summary>The last sequence applied: producers gate on it, and it is the pipeline's processed sequence.</summary>
    public Sequence Applied { get; } = new();

    /// <summary>What the journal calls when a commit may have ended (<see cref="IJournal.OnCommitProgress"/>).</summary>
    public Action Signal { get; }

    /// <summary>A barrier on the input ring with no dependents: what producers have published.</summary>
    protected SequenceBarrier Input { get; }

    /// <summary>How many signals the journal gave; read it before looking at the journal, then wait for it to move.</summary>
    public long Progress => Volatile.Read(ref _progress);

    protected ref long ProgressField => ref _progress;

    /// <summary>The oldest batch in flight.</summary>
    public long OldestFirst => _first[_head];

    /// <inheritdoc cref="OldestFirst"/>
    public long OldestLast => _last[_head];

    public void Push(long first, long last)
    {
        int at = (_head + Count) % _first.Length;
        _first[at] = first;
        _last[at] = last;
        Count++;
    }

    public void Pop()
    {
        _head = (_head + 1) % _first.Length;
        Count--;
    }

    /// <summary>Whether input after <paramref name="last"/> is published already (the processor hands it over next).</summary>
    public bool InputAfter(long last) => Input.Available(last + 1) > last;

    /// <summary>
    /// Sleeps until input at <paramref name="next"/> is published (<see cref="long.MaxValue"/>: never mind the input) or
    /// <see cref="Progress"/> is no longer <paramref name="seen"/>.
    /// </summary>
    public abstract void Wait(long next, long seen);

    private void OnProgress()
    {
        Interlocked.Increment(ref _progress);
        Wake();
    }

    protected abstract void Wake();
}

/// <inheritdoc/>
internal sealed class CommitWindow<TWait>(int max, RingBuffer<CommandSlot> ring) : CommitWindow(max, ring.NewBarrier())
    where TWait : struct, IWaitStrategy
{
    private readonly TWait _wait = ring.GetWaitStrategy<TWait>();

    public override void Wait(long next, long seen)
    {
        if (typeof(TWait) == typeof(BlockingWaitStrategy))
        {
            ((BlockingWaitStrategy)(object)_wait).WaitForInputOr(next, Input, ref ProgressField, seen);
            return;
        }

        // The spinning strategies poll both, as they poll the input.
        int spins = 100;
        while (Input.DependentValue < next && Progress == seen)
        {
            if (typeof(TWait) == typeof(BusySpinWaitStrategy) || --spins > 0)
                Thread.SpinWait(1);
            else
                Thread.Yield();
        }
    }

    // Producers pulse the same monitor when they publish.
    protected override void Wake() => ring.Sequencer.SignalAllWhenBlocking();
}
