using Exchange.Core.Events;

namespace Exchange.Gateway.MarketData;

/// <summary>
/// A market-data late joiner's request for the book, sent through the exchange as a book query. Its answer arrives on
/// the output thread in sequence: there, at one point of the order log, the connection is attached (reading from the
/// log's next message) and the snapshot is built, so the two are one cut. The connection awaits <see cref="Task"/>.
/// </summary>
internal sealed class BookRequest(Func<long> attach)
{
    private readonly TaskCompletionSource<(long Start, List<byte[]>? Snapshot)> _answer =
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The log sequence the connection reads from (0 when it could not attach) and the snapshot.</summary>
    public Task<(long Start, List<byte[]>? Snapshot)> Task => _answer.Task;

    /// <summary>Output thread: attaches the connection and builds the snapshot from the query's events.</summary>
    public void Answer(OrderLog log, ReadOnlySpan<Event> events)
    {
        var start = attach();
        _answer.TrySetResult((start, start > 0 ? log.Snapshot(events) : null));
    }
}
