namespace Exchange.Gateway.Cli.Client;

/// <summary>
/// When a following command (watch, dropcopy, book) stops: at Ctrl-C (which then ends the loop, not the process, so the
/// command logs out cleanly) or after <c>--for</c> milliseconds when given.
/// </summary>
internal sealed class StopSignal : IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    public StopSignal(long forMs)
    {
        if (forMs > 0) _stop.CancelAfter(TimeSpan.FromMilliseconds(forMs));
        Console.CancelKeyPress += OnCancel;
    }

    public bool IsSet => _stop.IsCancellationRequested;

    public CancellationToken Token => _stop.Token;

    private void OnCancel(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        _stop.Cancel();
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancel;
        _stop.Dispose();
    }
}
