namespace Exchange.Core.Pipeline;

/// <summary>
/// How a consumer waits for a sequence to become available. Implementations are structs used through generic
/// constraints (<see cref="BatchEventProcessor{T, THandler, TWait}"/>), so the wait loop is specialised and
/// inlined per strategy rather than dispatched through the interface.
/// </summary>
public interface IWaitStrategy
{
    /// <summary>
    /// Whether consumers may block on a monitor, so producers must call <see cref="SignalAllWhenBlocking"/> after
    /// publishing, and consumers after advancing their sequence (a later consumer may wait on it). Implement as a
    /// constant.
    /// </summary>
    bool IsBlockingStrategy { get; }

    /// <summary>
    /// Waits until <see cref="SequenceBarrier.DependentValue"/> reaches <paramref name="sequence"/> or the barrier is
    /// alerted.
    /// </summary>
    /// <returns>
    /// The highest sequence the dependents have reached (possibly beyond <paramref name="sequence"/>); a value below
    /// <paramref name="sequence"/> only when the barrier was alerted.
    /// </returns>
    long WaitFor(long sequence, SequenceBarrier barrier);

    /// <summary>Wakes consumers blocked in <see cref="WaitFor"/>; only called when <see cref="IsBlockingStrategy"/> is true.</summary>
    void SignalAllWhenBlocking();
}
