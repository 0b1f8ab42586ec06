using Exchange.Core.Events;
using Exchange.Gateway.Streams;

namespace Exchange.Gateway.MarketData;

/// <summary>
/// A snapshot-port connection's request for the book, sent through the exchange as a book query. Its answer arrives on
/// the output thread in sequence, where the order log stands exactly after the commands before it: the snapshot is
/// built there, from the answer's events, and names the order-log sequence that continues it. The connection awaits
/// <see cref="Task"/>: a stream of its own whose log is the snapshot (docs/protocol.md section 12).
/// </summary>
internal sealed class BookRequest
{
    private readonly TaskCompletionSource<UserStream> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The snapshot, numbered 1, 2, ... and ending with End of Snapshot.</summary>
    public Task<UserStream> Task => _answer.Task;

    /// <summary>Output thread: builds the snapshot from the query's events.</summary>
    public void Answer(OrderLog log, ReadOnlySpan<Event> events) => _answer.TrySetResult(log.Snapshot(events));
}
