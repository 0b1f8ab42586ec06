namespace Exchange.Core.Pipeline;

/// <summary>
/// When a batch of commands ends for the <see cref="IOutputHandler"/>: when the stage runs out of work, or after
/// <see cref="MaxBatches"/> of its own batches if work keeps arriving. The handler's end-of-batch work (the gateway's
/// sends) then waits while more commands are already queued, and covers them all when the queue runs dry, which is
/// smart batching: at light load every command ends a batch, under load one end covers many.
/// </summary>
internal struct BatchEnds
{
    /// <summary>The most batches one end may cover, so that under a sustained flood the end still comes.</summary>
    public const int MaxBatches = 8;

    private int _deferred;

    /// <summary>At the end of one of the stage's batches: whether the handler's batch ends here.</summary>
    /// <param name="moreWaiting">Whether more work was already queued behind the batch.</param>
    public bool ShouldSignal(bool moreWaiting)
    {
        if (moreWaiting && ++_deferred < MaxBatches)
            return false;
        _deferred = 0;
        return true;
    }
}
