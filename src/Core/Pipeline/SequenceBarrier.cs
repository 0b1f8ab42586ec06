namespace Exchange.Core.Pipeline;

/// <summary>
/// What a consumer waits on: the producers' cursor and, in a consumer chain, the sequences of the consumers it
/// follows (it may only read a slot once they are done with it). Alerting the barrier wakes and releases the
/// waiting consumer, which is how a processor is halted.
/// </summary>
public sealed class SequenceBarrier
{
    private readonly Sequencer _sequencer;
    // Kept typed so the per-batch publication scan is a direct call; null for a single producer, whose cursor
    // only moves after publication and so needs no scan.
    private readonly MultiProducerSequencer? _multiProducer;
    private readonly Sequence _cursor;
    private readonly Sequence[] _dependents;
    private volatile bool _alerted;

    internal SequenceBarrier(Sequencer sequencer, Sequence[] dependentSequences)
    {
        ArgumentNullException.ThrowIfNull(dependentSequences);
        _sequencer = sequencer;
        _multiProducer = sequencer as MultiProducerSequencer;
        _cursor = sequencer.Cursor;
        _dependents = (Sequence[])dependentSequences.Clone();
    }

    /// <summary>The producers' cursor value (for a multi producer, the highest claimed, not published, sequence).</summary>
    public long CursorValue => _cursor.Value;

    /// <summary>
    /// How far the consumer may read as far as its dependencies go: the lowest of the dependent sequences, or the
    /// cursor when there are none.
    /// </summary>
    public long DependentValue => _dependents.Length switch
    {
        0 => _cursor.Value,
        1 => _dependents[0].Value,
        _ => Sequencer.GetMinimumSequence(_dependents, long.MaxValue),
    };

    /// <summary>Whether <see cref="Alert"/> was called and not yet cleared.</summary>
    public bool IsAlerted => _alerted;

    /// <summary>
    /// Waits with <paramref name="waitStrategy"/> until <paramref name="sequence"/> is published and released by
    /// the dependencies.
    /// </summary>
    /// <returns>
    /// The highest sequence the consumer may read, at least <paramref name="sequence"/>; below it when the barrier is
    /// alerted or, with several producers, a claimed slot before it is not published yet (ask again).
    /// </returns>
    public long WaitFor<TWait>(ref TWait waitStrategy, long sequence)
        where TWait : struct, IWaitStrategy
    {
        long available = waitStrategy.WaitFor(sequence, this);
        if (available < sequence || _multiProducer is null)
            return available;
        return _multiProducer.GetHighestPublishedSequence(sequence, available);
    }

    /// <summary>Without waiting: the highest sequence the consumer may read from <paramref name="sequence"/> on (below it
    /// when there is none yet).</summary>
    internal long Available(long sequence)
    {
        long available = DependentValue;
        if (available < sequence || _multiProducer is null)
            return available;
        return _multiProducer.GetHighestPublishedSequence(sequence, available);
    }

    /// <summary>Alerts the barrier: its waiting consumer returns from its wait, blocked ones included.</summary>
    public void Alert()
    {
        _alerted = true;
        _sequencer.SignalAllWhenBlocking();
    }

    /// <summary>Clears the alert so the barrier can be waited on again.</summary>
    public void ClearAlert() => _alerted = false;
}
