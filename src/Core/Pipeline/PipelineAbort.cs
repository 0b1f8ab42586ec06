namespace Exchange.Core.Pipeline;

/// <summary>
/// Set when a stopping pipeline gives up on a stage that faulted: threads waiting on something that will now never
/// come (room in the output ring, a journal commit) stop waiting instead of hanging the shutdown.
/// </summary>
internal sealed class PipelineAbort
{
    private volatile bool _requested;

    public bool IsRequested => _requested;

    public void Request() => _requested = true;
}
