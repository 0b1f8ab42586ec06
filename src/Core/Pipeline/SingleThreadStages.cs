using System.Diagnostics.CodeAnalysis;
using Exchange.Core.Journal;

namespace Exchange.Core.Pipeline;

/// <summary>
/// <see cref="PipelineTopology.SingleThread"/>: the input ring and one processor running
/// <see cref="SingleThreadHandler"/>; the producers gate on it alone.
/// </summary>
internal sealed class SingleThreadStages<TWait> : PipelineStages
    where TWait : struct, IWaitStrategy
{
    private readonly BatchEventProcessor<CommandSlot, SingleThreadHandler, TWait> _processor;
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
        _processor = new(input, input.NewBarrier(),
            new SingleThreadHandler(input, exchange, journal, journaled, output, taker));
        input.AddGatingSequences(_processor.Sequence);

        Input = input;
        Processed = _processor.Sequence;
        Journaled = journaled;
        Snapshots = taker;
    }

    public override Exception? Fault => _processor.Fault;

    // Every command is delivered before the processor moves past it.
    public override bool Drained(long claimed) => _processor.Sequence.Value >= claimed;

    public override void Start() => _processor.Start("exchange-pipeline", _cpu);

    public override void Halt() => _processor.Halt();

    public override bool WaitForShutdown(TimeSpan timeout) => _processor.WaitForShutdown(timeout);
}
