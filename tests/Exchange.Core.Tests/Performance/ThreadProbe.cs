namespace Exchange.Core.Tests.Performance;

/// <summary>
/// Measures what a consumer thread allocates over a run, from inside its handler: the handler calls
/// <see cref="OnItem"/> for each item, and the probe reads <see cref="GC.GetAllocatedBytesForCurrentThread"/> on that
/// thread when the run's first item arrives and when its last has been handled. Keeps the fewest bytes of all runs.
/// </summary>
internal sealed class ThreadProbe
{
    private long _first = -1;
    private long _last = -1;
    private long _startBytes;
    private long _fewest = long.MaxValue;
    private volatile bool _done;

    public long Fewest => _fewest;

    /// <summary>Arms the probe for the items numbered <paramref name="first"/> to <paramref name="last"/>; call before publishing them.</summary>
    public void Arm(long first, long last)
    {
        _done = false;
        _first = first;
        _last = last;
    }

    /// <summary>Called on the consumer thread before handling item <paramref name="n"/> (<paramref name="after"/> false) and after it (true).</summary>
    public void OnItem(long n, bool after)
    {
        if (!after && n == _first) _startBytes = GC.GetAllocatedBytesForCurrentThread();
        if (after && n == _last)
        {
            _fewest = Math.Min(_fewest, GC.GetAllocatedBytesForCurrentThread() - _startBytes);
            _done = true;
        }
    }

    /// <summary>Waits (yielding) until the armed run's last item has been handled.</summary>
    public void WaitForRun()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!_done)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the consumer did not finish the run");
            Thread.Yield();
        }
    }
}
