using Exchange.Core.Events;
using Exchange.Core.Pipeline;

namespace Exchange.Core.Tests.Pipeline;

/// <summary>
/// An output handler that records every delivery and, when given a durability probe, every delivery that ran ahead
/// of it. Read the lists after the pipeline is disposed, or through <see cref="Count"/> while it runs.
/// </summary>
internal sealed class OutputRecorder : IOutputHandler
{
    private readonly List<Delivery> _deliveries = new();
    private readonly List<string> _violations = new();
    private int _count;
    private int _batchEnds;
    private long _deliveredAtLastBatchEnd;

    /// <summary>Called inside each delivery; returns the pipeline's durable sequence at that moment.</summary>
    public Func<long>? DurableProbe { get; set; }

    /// <summary>Called before each delivery is recorded (to block, or to throw, from the output thread).</summary>
    public Action<long>? BeforeDelivery { get; set; }

    public int Count => Volatile.Read(ref _count);

    /// <summary>How many times <see cref="OnEndOfBatch"/> was called.</summary>
    public int BatchEnds => Volatile.Read(ref _batchEnds);

    /// <summary>How many deliveries had been made at the last <see cref="OnEndOfBatch"/>.</summary>
    public long DeliveredAtLastBatchEnd => Volatile.Read(ref _deliveredAtLastBatchEnd);

    public IReadOnlyList<Delivery> Deliveries => _deliveries;

    public IReadOnlyList<string> Violations => _violations;

    // Calls inside the handler right now, and the threads that made deliveries (inline runs make them on producers).
    private int _inside;
    private int _overlaps;
    private readonly HashSet<string?> _threads = new();

    /// <summary>How many deliveries began while another was under way on another thread (the pipeline allows none).</summary>
    public int Overlaps => Volatile.Read(ref _overlaps);

    /// <summary>The names of the threads deliveries were made on.</summary>
    public IReadOnlyCollection<string?> Threads => _threads;

    public void OnEvents(long commandSequence, long correlation, ReadOnlySpan<Event> events)
    {
        if (Interlocked.Increment(ref _inside) != 1)
            Interlocked.Increment(ref _overlaps);
        try
        {
            Record(commandSequence, correlation, events);
        }
        finally
        {
            Interlocked.Decrement(ref _inside);
        }
    }

    private void Record(long commandSequence, long correlation, ReadOnlySpan<Event> events)
    {
        _threads.Add(Thread.CurrentThread.Name);
        BeforeDelivery?.Invoke(commandSequence);
        if (DurableProbe is { } probe && probe() is var durable && durable < commandSequence)
            _violations.Add($"command {commandSequence} delivered while durable only to {durable}");
        _deliveries.Add(new Delivery(commandSequence, correlation, events.ToArray()));
        Volatile.Write(ref _count, _count + 1);
    }

    public void OnEndOfBatch()
    {
        Volatile.Write(ref _deliveredAtLastBatchEnd, _count);
        Volatile.Write(ref _batchEnds, _batchEnds + 1);
    }

    /// <summary>Waits (bounded) until <paramref name="count"/> deliveries were made.</summary>
    public void WaitFor(int count) => Eventually.True(() => Count >= count, $"{count} deliveries (have {Count})");
}
