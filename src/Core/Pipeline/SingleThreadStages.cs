using System.Diagnostics.CodeAnalysis;
using Exchange.Core.Journal;

namespace Exchange.Core.Pipeline;

/// <summary>
/// <see cref="PipelineTopology.SingleThread"/>: the input ring and one processor running
/// <see cref="SingleThreadHandler"/>; the producers gate on it alone. With <see cref="PipelineOptions.InlineRuns"/> the
/// processor is an <see cref="InlineRunProcessor{THandler, TWait}"/>, which producers may also run on their own threads.
/// </summary>
internal sealed class SingleThreadStages<TWait> : PipelineStages
    where TWait : struct, IWaitStrategy
{
    // One of the two: a processor of its own thread, or one producers may run too.
    private readonly BatchEventProcessor<CommandSlot, SingleThreadHandler, TWait>? _processor;
    private readonly InlineRunProcessor<SingleThreadHandler, TWait>? _inline;
    private readonly int _cpu;

    [SetsRequiredMembers]
    public SingleThreadStages(
        PipelineOptions options, TWait inputWait, Exchange exchange, IJournal? journal,
        SnapshotStore? snapshots, IOutputHandler output, PipelineAbort abort)
    {
        _cpu = options.PinnedCpu(0);
        var input = RingBuffer<CommandSlot>.Create(options.ProducerType, options.InputRingSize, inputWait);
        var journaled = journal is null ? null : new Sequence();
        var taker = snapshots is null ? null : new SnapshotTaker(snapshots, options.SnapshotEveryCommands, journaled, abort, options.Retention);
        var handler = new SingleThreadHandler(input, exchange, journal, journaled, output, taker);
        Sequence processed;
        if (options.InlineRuns)
            processed = (_inline = new(input, input.NewBarrier(), handler)).Sequence;
        else
            processed = (_processor = new(input, input.NewBarrier(), handler)).Sequence;
        input.AddGatingSequences(processed);

        Input = input;
        Processed = processed;
        Journaled = journaled;
        Snapshots = taker;
    }

    public override Exception? Fault => _inline is null ? _processor!.Fault : _inline.Fault;

    public override bool InlineRuns => _inline is not null;

    public override void RunPublished() => _inline?.TryRun();

    // Every command is delivered before the processor moves past it. With inline runs the drain runs what a producer
    // published without running it yet.
    public override bool Drained(long claimed)
    {
        _inline?.TryRun();
        return Processed.Value >= claimed;
    }

    public override void Start()
    {
        if (_inline is null)
            _processor!.Start("exchange-pipeline", _cpu);
        else
            _inline.Start("exchange-pipeline", _cpu);
    }

    public override void Halt()
    {
        if (_inline is null)
            _processor!.Halt();
        else
            _inline.Halt();
    }

    public override bool WaitForShutdown(TimeSpan timeout) =>
        _inline is null ? _processor!.WaitForShutdown(timeout) : _inline.WaitForShutdown(timeout);
}
