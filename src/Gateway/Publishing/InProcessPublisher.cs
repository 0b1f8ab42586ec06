using System.Buffers;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Pipeline;
using CoreExchange = Exchange.Core.Exchange;

namespace Exchange.Gateway.Publishing;

/// <summary>
/// The exchange without the pipeline: commands are applied under a lock on the publishing thread and their events
/// handed, in sequence order, to an output thread that calls the router, as the pipeline's output stage does (so the
/// gateway sees the same threading either way). No journal. For tests, and the fallback until the pipeline exists.
/// </summary>
internal sealed class InProcessPublisher(CoreExchange exchange, IOutputHandler router, int capacity) : ICommandPublisher
{
    private readonly object _gate = new();
    private readonly Queue<Batch> _queue = new();
    private Thread? _output;
    private long _sequence;
    private bool _stopping;

    private readonly record struct Batch(long Sequence, long Correlation, Event[] Events, int Count);

    public void Start()
    {
        _output = new Thread(Run) { IsBackground = true, Name = "exchange output" };
        _output.Start();
    }

    public bool TryPublish(in Command command, long correlation, out long sequence)
    {
        lock (_gate)
        {
            if (_stopping || _queue.Count >= capacity)
            {
                sequence = 0;
                return false;
            }
            sequence = ++_sequence;
            var c = command;
            c.Sequence = sequence;
            var events = exchange.Apply(in c);
            var copy = ArrayPool<Event>.Shared.Rent(Math.Max(1, events.Length));
            events.CopyTo(copy);
            _queue.Enqueue(new Batch(sequence, correlation, copy, events.Length));
            if (_queue.Count == 1) Monitor.Pulse(_gate);
        }
        return true;
    }

    /// <summary>Reads the exchange between commands (tests: conservation while the server runs).</summary>
    public T Read<T>(Func<CoreExchange, T> read)
    {
        lock (_gate) return read(exchange);
    }

    private void Run()
    {
        while (true)
        {
            Batch batch;
            lock (_gate)
            {
                while (_queue.Count == 0 && !_stopping) Monitor.Wait(_gate);
                if (_queue.Count == 0) return;
                batch = _queue.Dequeue();
            }
            router.OnEvents(batch.Sequence, batch.Correlation, batch.Events.AsSpan(0, batch.Count));
            router.OnEndOfBatch();
            ArrayPool<Event>.Shared.Return(batch.Events);
        }
    }

    /// <summary>Stops taking commands, reports every one already applied, and stops the output thread.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }
        _output?.Join();
    }
}
