using Exchange.Core.Events;

namespace Exchange.Core.Pipeline;

/// <summary>
/// Receives the outcome of every command that went through an <see cref="ExchangePipeline"/>: the seam where the
/// gateway turns events into execution reports, market data and acknowledgements.
/// </summary>
public interface IOutputHandler
{
    /// <summary>
    /// Called on the pipeline's output thread once per command, in command-sequence order, also for a command that
    /// caused no event (so the caller can acknowledge it). When journaling is on, only once the command is durable
    /// under the journal's fsync policy. Return quickly: the output thread is shared by every command.
    /// </summary>
    /// <param name="commandSequence">The sequence <see cref="ExchangePipeline.TryPublish(in Commands.Command, long, out long)"/> gave the command.</param>
    /// <param name="correlation">The caller's routing id passed to <see cref="ExchangePipeline.TryPublish(in Commands.Command, long, out long)"/>.</param>
    /// <param name="events">The command's events, valid only during the call (the memory is reused).</param>
    void OnEvents(long commandSequence, long correlation, ReadOnlySpan<Event> events);

    /// <summary>
    /// Called on the output thread after the last command of a batch: when the output stage has run out of commands,
    /// or after 8 of its own batches while commands keep coming. Work buffered across the batch's
    /// <see cref="OnEvents"/> calls (waking the connections to send, say) can be done here once per batch: the batch
    /// is one command when the load is light, and grows, amortizing the work, as the load rises (smart batching).
    /// </summary>
    void OnEndOfBatch()
    {
    }
}
