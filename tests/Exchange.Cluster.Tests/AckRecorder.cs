using System.Collections.Concurrent;
using Exchange.Core.Events;
using Exchange.Core.Pipeline;

namespace Exchange.Cluster.Tests;

/// <summary>The pipeline's output as a client would see it: the sequence of every command acknowledged, in order.</summary>
internal sealed class AckRecorder : IOutputHandler
{
    private readonly ConcurrentQueue<long> _acknowledged = new();

    public int Count => _acknowledged.Count;

    public IReadOnlyCollection<long> Acknowledged => _acknowledged;

    public void OnEvents(long commandSequence, long correlation, ReadOnlySpan<Event> events) => _acknowledged.Enqueue(commandSequence);
}
