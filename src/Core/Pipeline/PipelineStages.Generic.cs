using System.Diagnostics.CodeAnalysis;
using Exchange.Core.Journal;

namespace Exchange.Core.Pipeline;

/// <summary>
/// The pipeline's topology for one wait strategy:
/// input ring → (journaler ∥ business-logic processor) → output ring → output consumer, where the output consumer
/// also waits on the journaler (the durability gate) and the input ring's producers wait on both input consumers.
/// </summary>
internal sealed class PipelineStages<TWait> : PipelineStages
    where TWait : struct, IWaitStrategy
{
    private readonly BatchEventProcessor<CommandSlot, JournalHandler, TWait>? _journaler;
    private readonly BatchEventProcessor<CommandSlot, BusinessLogicHandler, TWait> _logic;
    private readonly BatchEventProcessor<OutputSlot, OutputConsumer<TWait>, TWait> _output;
    private readonly SequenceBarrier? _gate;
    private readonly RingBuffer<OutputSlot> _outputRing;
    private readonly PipelineOptions _options;

    [SetsRequiredMembers]
    public PipelineStages(
        PipelineOptions options, TWait inputWait, TWait outputWait, Exchange exchange, IJournal? journal,
        SnapshotStore? snapshots, IOutputHandler output, PipelineAbort abort)
    {
        _options = options;
        var input = RingBuffer<CommandSlot>.Create(options.ProducerType, options.InputRingSize, inputWait);
        var outputRing = RingBuffer<OutputSlot>.CreateSingleProducer(options.OutputRingSize, outputWait);

        if (journal is not null)
            _journaler = new(input, input.NewBarrier(), new JournalHandler(journal));
        var journaled = _journaler?.Sequence;
        var taker = snapshots is null ? null : new SnapshotTaker(snapshots, options.SnapshotEveryCommands, journaled, abort, options.Retention);

        // Journaler and business logic both read the input slots and neither writes them, so they run in parallel.
        _logic = new(input, input.NewBarrier(), new BusinessLogicHandler(input, exchange, outputRing, taker, abort));
        if (journaled is not null)
        {
            _gate = input.NewBarrier(journaled);
            input.AddGatingSequences(_logic.Sequence, journaled);
        }
        else
        {
            input.AddGatingSequences(_logic.Sequence);
        }

        _output = new(outputRing, outputRing.NewBarrier(),
            new OutputConsumer<TWait>(output, journaled, _gate, input.GetWaitStrategy<TWait>(), outputRing));
        outputRing.AddGatingSequences(_output.Sequence);

        Input = input;
        _outputRing = outputRing;
        Processed = _logic.Sequence;
        Journaled = journaled;
        Snapshots = taker;
    }

    public override Exception? Fault => _journaler?.Fault ?? _logic.Fault ?? _output.Fault;

    public override bool Drained(long claimed)
    {
        if (_logic.Sequence.Value < claimed || (_journaler is not null && _journaler.Sequence.Value < claimed))
            return false;
        // The business logic has now published the events of every drained command.
        return _output.Sequence.Value >= _outputRing.Cursor;
    }

    public override void Start()
    {
        _journaler?.Start("exchange-journal", _options.PinnedCpu(2));
        _logic.Start("exchange-logic", _options.PinnedCpu(0));
        _output.Start("exchange-output", _options.PinnedCpu(1));
    }

    public override void Halt()
    {
        _journaler?.Halt();
        _logic.Halt();
        _output.Halt();
        _gate?.Alert();
    }

    public override bool WaitForShutdown(TimeSpan timeout)
    {
        bool stopped = _journaler?.WaitForShutdown(timeout) ?? true;
        stopped &= _logic.WaitForShutdown(timeout);
        stopped &= _output.WaitForShutdown(timeout);
        return stopped;
    }
}
