using Exchange.Core.Journal;

namespace Exchange.Core.Pipeline;

/// <summary>
/// The rings and processors of an <see cref="ExchangePipeline"/>, without the wait strategy type, which is chosen at
/// run time: <see cref="PipelineStages{TWait}"/> is the one implementation per strategy, so every processor loop is
/// specialised for it.
/// </summary>
internal abstract class PipelineStages
{
    public required RingBuffer<CommandSlot> Input { get; init; }

    /// <summary>The business-logic processor's progress on the input ring.</summary>
    public required Sequence Processed { get; init; }

    /// <summary>The journaler's progress on the input ring (committed commands); null when journaling is off.</summary>
    public required Sequence? Journaled { get; init; }

    /// <summary>The exception that stopped a stage, if one did.</summary>
    public abstract Exception? Fault { get; }

    /// <summary>
    /// Whether every command up to input sequence <paramref name="claimed"/> has been applied, journaled and handed
    /// to the output handler. Asked repeatedly while draining, once the producers have stopped.
    /// </summary>
    public abstract bool Drained(long claimed);

    /// <summary>Whether producers may run the stages on their own threads (<see cref="PipelineOptions.InlineRuns"/>).</summary>
    public virtual bool InlineRuns => false;

    /// <summary>With <see cref="InlineRuns"/>: runs what was published on the calling thread unless another thread is
    /// running the stages. Otherwise nothing (the publish woke the stages' threads).</summary>
    public virtual void RunPublished()
    {
    }

    /// <summary>Starts each processor on its own thread.</summary>
    public abstract void Start();

    /// <summary>Asks every processor to stop and releases a wait at the durability gate.</summary>
    public abstract void Halt();

    /// <summary>Waits for every processor's thread to return; false if one did not within <paramref name="timeout"/>.</summary>
    public abstract bool WaitForShutdown(TimeSpan timeout);

    /// <summary>Builds the stages for the chosen topology and wait strategy.</summary>
    public static PipelineStages Create(
        PipelineOptions options, Exchange exchange, IJournal? journal, SnapshotStore? snapshots,
        IOutputHandler output, PipelineAbort abort) => options.Topology == PipelineTopology.SingleThread
        ? options.WaitStrategy switch
        {
            WaitStrategyKind.BusySpin => new SingleThreadStages<BusySpinWaitStrategy>(
                options, new BusySpinWaitStrategy(), exchange, journal, snapshots, output, abort),
            WaitStrategyKind.Yielding => new SingleThreadStages<YieldingWaitStrategy>(
                options, new YieldingWaitStrategy(), exchange, journal, snapshots, output, abort),
            // One pipeline thread: a short spin before sleeping pays (see BlockingWaitStrategy's constructor), unless
            // producers run the stages themselves; the thread then runs only what the others publish, and its spin
            // would take the CPU the producer running them needs.
            _ => new SingleThreadStages<BlockingWaitStrategy>(
                options, new BlockingWaitStrategy(
                    options.InlineRuns ? TimeSpan.Zero : options.SpinBeforeSleep,
                    options.InlineRuns ? TimeSpan.Zero : options.YieldBeforeSleep),
                exchange, journal, snapshots, output, abort),
        }
        : options.WaitStrategy switch
    {
        WaitStrategyKind.BusySpin => new PipelineStages<BusySpinWaitStrategy>(
            options, new BusySpinWaitStrategy(), new BusySpinWaitStrategy(), exchange, journal, snapshots, output, abort),
        WaitStrategyKind.Yielding => new PipelineStages<YieldingWaitStrategy>(
            options, new YieldingWaitStrategy(), new YieldingWaitStrategy(), exchange, journal, snapshots, output, abort),
        // Two instances: each ring needs its own monitor, shared by its producer and its consumers.
        _ => new PipelineStages<BlockingWaitStrategy>(
            options, new BlockingWaitStrategy(), new BlockingWaitStrategy(), exchange, journal, snapshots, output, abort),
    };

    /// <summary>The snapshot taker, when snapshots are on.</summary>
    public SnapshotTaker? Snapshots { get; init; }
}
