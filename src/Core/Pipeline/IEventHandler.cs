namespace Exchange.Core.Pipeline;

/// <summary>
/// Consumes the events of a ring buffer, called by a <see cref="BatchEventProcessor{T, THandler, TWait}"/> on its
/// thread. Implement it on a struct: the processor is generic over the handler type, so calls are direct and can
/// be inlined (no interface dispatch on the hot path).
/// </summary>
/// <typeparam name="T">The slot type.</typeparam>
public interface IEventHandler<T>
    where T : struct
{
    /// <summary>
    /// Handles one published event. Events arrive in sequence order, in batches of everything that was available
    /// when the processor last looked; <paramref name="endOfBatch"/> marks the last one, the moment to flush any
    /// work grouped across the batch (a journal commit, a socket send), since when the next event comes is unknown.
    /// </summary>
    /// <param name="data">The slot, by reference: read it (or, for a consumer that later consumers depend on, write it) in place.</param>
    /// <param name="sequence">The event's sequence number.</param>
    /// <param name="endOfBatch">Whether this is the last event of the batch.</param>
    void OnEvent(ref T data, long sequence, bool endOfBatch);
}
