using System.Diagnostics.Tracing;

namespace Exchange.LoadTest;

/// <summary>
/// <c>--jit-names</c>: which methods the JIT compiled during a measured run, on which thread and at which tier, and each
/// time the runtime stopped every managed thread (for a collection, or the tiered compiler's call-counting clean-up,
/// which stops the world without a collection and so shows in no GC count), with its reason and length, from the
/// runtime's own events read in process. "JIT during the run" only counts compilations; a tier-0 compile of a rare path
/// runs on the thread that first calls it (the pipeline thread), a promotion on the background compiler, and either, or
/// a stop whose suspending thread waits for a CPU, can be a millisecond-scale gap in the tail. Off by default: the
/// listener is an EventPipe session with a thread of its own.
/// </summary>
internal sealed class JitNames : EventListener
{
    private const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";
    private const long GcKeyword = 0x1, JitKeyword = 0x10;
    private readonly List<EventWrittenEventArgs> _events = [];
    private DateTime _from = DateTime.MaxValue, _to = DateTime.MaxValue, _plan;

    /// <summary>
    /// Starts collecting what happens from now on; <paramref name="plan"/> (UTC) is the run's planned start, which the
    /// stops' times are given from (as the slow-window report's).
    /// </summary>
    public void Begin(DateTime plan)
    {
        lock (_events)
        {
            _events.Clear();
            (_from, _to, _plan) = (DateTime.UtcNow, DateTime.MaxValue, plan);
        }
    }

    /// <summary>
    /// Stops at now; returns what was compiled since <see cref="Begin"/> (events arrive with a delay: waits 1.5 s). The
    /// events are only kept while the run runs and described here, after it: formatting them as they came made the
    /// listener's own code (number formatting, payload look-ups) a tier-1 promotion inside the measured 1M/s run.
    /// </summary>
    public IReadOnlyList<string> End()
    {
        lock (_events) _to = DateTime.UtcNow;
        Thread.Sleep(1500);
        EventWrittenEventArgs[] events;
        lock (_events) events = [.. _events];
        var names = new List<string>();
        (DateTime At, uint Reason)? suspending = null;
        foreach (var e in events)
        {
            var stamp = e.TimeStamp.ToUniversalTime();
            if (e.EventName!.StartsWith("MethodLoadVerbose", StringComparison.Ordinal))
                names.Add($"compiled: {Field(e, "MethodNamespace")}.{Field(e, "MethodName")} ({Tier(e)}, thread {e.OSThreadId})");
            else if (e.EventName.StartsWith("GCSuspendEEBegin", StringComparison.Ordinal))
                suspending = (stamp, Convert.ToUInt32(e.Payload![e.PayloadNames!.IndexOf("Reason")], System.Globalization.CultureInfo.InvariantCulture));
            else if (e.EventName.StartsWith("GCRestartEEEnd", StringComparison.Ordinal) && suspending is { } s)
            {
                names.Add($"the runtime stopped every managed thread for {(stamp - s.At).TotalMicroseconds:F0} µs " +
                          $"({Reason(s.Reason)}, {(s.At - _plan).TotalMilliseconds:F1} ms into the run)");
                suspending = null;
            }
        }
        return names;
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == RuntimeProvider)
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)(JitKeyword | GcKeyword));
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName is null || e.Payload is null) return;
        var stamp = e.TimeStamp.ToUniversalTime();
        lock (_events)
            if (stamp >= _from && stamp <= _to) _events.Add(e);
    }

    // The runtime's SuspendEE reasons (its GCSuspendEEBegin event's Reason field).
    private static string Reason(uint reason) => reason switch
    {
        0 => "other: the tiered compiler's call counting, among others",
        1 => "a collection",
        6 => "preparing a collection",
        _ => $"reason {reason}",
    };

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
