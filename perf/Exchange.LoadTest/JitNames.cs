using System.Diagnostics.Tracing;

namespace Exchange.LoadTest;

/// <summary>
/// <c>--jit-names</c>: which methods the JIT compiled during a measured run, on which thread and at which tier, from the
/// runtime's own JIT events read in process. "JIT during the run" only counts them; a tier-0 compile of a rare path runs
/// on the thread that first calls it (the pipeline thread), a promotion on the background compiler, and either can be
/// a millisecond-scale gap in the tail. Off by default: the listener is an EventPipe session with a thread of its own.
/// </summary>
internal sealed class JitNames : EventListener
{
    private const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";
    private const long JitKeyword = 0x10;
    private readonly List<string> _names = [];
    private DateTime _from = DateTime.MaxValue, _to = DateTime.MaxValue;

    /// <summary>Starts collecting the methods whose compilation ended from now on.</summary>
    public void Begin()
    {
        lock (_names)
        {
            _names.Clear();
            (_from, _to) = (DateTime.UtcNow, DateTime.MaxValue);
        }
    }

    /// <summary>Stops at now; returns what was compiled since <see cref="Begin"/> (events arrive with a delay: waits 1.5 s).</summary>
    public IReadOnlyList<string> End()
    {
        lock (_names) _to = DateTime.UtcNow;
        Thread.Sleep(1500);
        lock (_names) return [.. _names];
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == RuntimeProvider)
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)JitKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName is null || !e.EventName.StartsWith("MethodLoadVerbose", StringComparison.Ordinal) || e.Payload is null)
            return;
        var stamp = e.TimeStamp.ToUniversalTime();
        lock (_names)
        {
            if (stamp < _from || stamp > _to) return;
            _names.Add($"{Field(e, "MethodNamespace")}.{Field(e, "MethodName")} ({Tier(e)}, thread {e.OSThreadId})");
        }
    }

    private static string Field(EventWrittenEventArgs e, string name)
    {
        var i = e.PayloadNames?.IndexOf(name) ?? -1;
        return i >= 0 && e.Payload![i] is { } value ? value.ToString() ?? "" : "";
    }

    // The event's MethodFlags as they come (the optimization tier is in the bits from 7 up): the thread tells more.
    private static string Tier(EventWrittenEventArgs e)
    {
        var i = e.PayloadNames?.IndexOf("MethodFlags") ?? -1;
        return i >= 0 && e.Payload![i] is { } flags
            ? $"flags 0x{Convert.ToUInt32(flags, System.Globalization.CultureInfo.InvariantCulture):x}"
            : "flags ?";
    }
}
