using System.Runtime.CompilerServices;
using Exchange.Core.Events;

namespace Exchange.Core.Pipeline;

/// <summary>
/// The output consumer's handler: reassembles a command's events (read in place when they fit one slot), waits
/// until the journaler has committed the command (the durability gate), then hands them to the
/// <see cref="IOutputHandler"/>.
/// </summary>
/// <typeparam name="TWait">The pipeline's wait strategy, used for the gate too.</typeparam>
internal struct OutputConsumer<TWait> : IEventHandler<OutputSlot>
    where TWait : struct, IWaitStrategy
{
    private readonly IOutputHandler _handler;
    private readonly Sequence? _journaled;
    private readonly SequenceBarrier? _gate;
    private TWait _gateWait;
    private Event[] _assembly;
    private readonly RingBuffer<OutputSlot> _ring;
    private BatchEnds _batchEnds;

    /// <param name="handler">Where the events go.</param>
    /// <param name="journaled">The journaler's sequence on the input ring; null when journaling is off.</param>
    /// <param name="gate">A barrier on the input ring following <paramref name="journaled"/>.</param>
    /// <param name="gateWait">The input ring's wait strategy (for a blocking one, the same monitor).</param>
    /// <param name="ring">The output ring (to see whether more is queued at the end of a batch).</param>
    public OutputConsumer(IOutputHandler handler, Sequence? journaled, SequenceBarrier? gate, TWait gateWait, RingBuffer<OutputSlot> ring)
    {
        _ring = ring;
        _handler = handler;
        _journaled = journaled;
        _gate = gate;
        _gateWait = gateWait;
        // Room for a large cascade up front; a larger one grows it once, out of line.
        _assembly = new Event[4096];
    }

    public void OnEvent(ref OutputSlot data, long sequence, bool endOfBatch)
    {
        scoped ReadOnlySpan<Event> events;
        if (data.Count == data.Total)
        {
            events = ((ReadOnlySpan<Event>)data.Events)[..data.Count];
        }
        else
        {
            if (data.Offset + data.Count > _assembly.Length)
                Grow(data.Total);
            ((ReadOnlySpan<Event>)data.Events)[..data.Count].CopyTo(_assembly.AsSpan(data.Offset));
            if (data.Offset + data.Count < data.Total)
            {
                if (endOfBatch)
                    EndOfBatch(sequence);
                return;
            }
            events = new ReadOnlySpan<Event>(_assembly, 0, data.Total);
        }

        // Acquire read of the journaler's progress: it moves only after the commit (and fsync) of the batch.
        if (_journaled is not null && _journaled.Value < data.InputSequence && !WaitForDurable(data.InputSequence))
            return;

        _handler.OnEvents(data.CommandSequence, data.Correlation, events);
        if (endOfBatch)
            EndOfBatch(sequence);
    }

    private void EndOfBatch(long sequence)
    {
        if (_batchEnds.ShouldSignal(_ring.Cursor > sequence))
            _handler.OnEndOfBatch();
    }

    /// <returns>False when the pipeline abandoned the journaler: the command is not durable, so it is never acknowledged.</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool WaitForDurable(long inputSequence) =>
        // The strategy directly, not SequenceBarrier.WaitFor: that also scans the multi-producer availability flags,
        // which for a command this far behind may already belong to the slot's next lap.
        _gateWait.WaitFor(inputSequence, _gate!) >= inputSequence;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int total) => Array.Resize(ref _assembly, Math.Max(total, _assembly.Length * 2));
}
