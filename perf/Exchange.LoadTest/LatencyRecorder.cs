using System.Diagnostics;
using Exchange.Core.Events;
using Exchange.Core.Pipeline;
using HdrHistogram;

namespace Exchange.LoadTest;

/// <summary>
/// The output handler of a measured pipeline run: for each command, the time from its PLANNED send time (derived
/// from its index, the correlation, and the rate) to now, so a stall delays every command planned behind it and is
/// counted in all of them (no coordinated omission). Runs on the pipeline's output thread; allocation-free.
/// </summary>
internal sealed class LatencyRecorder(LongHistogram histogram) : IOutputHandler
{
    private readonly long _highest = histogram.HighestTrackableValue;
    private long _start;
    private long _rate;
    private long _delivered;
    private long _lastDelivery;
    private long _events;
    private QueryProducer? _queries;

    /// <summary>The worst latency of the commands planned in each 10 ms of the run (preallocated: 600 s).</summary>
    private readonly long[] _worstPer10Ms = new long[60_000];

    /// <summary>Commands delivered so far (read by the waiting thread).</summary>
    public long Delivered => Volatile.Read(ref _delivered);

    /// <summary>Clock ticks when the last command was delivered (read after the pipeline is disposed).</summary>
    public long LastDelivery => _lastDelivery;

    public long Events => _events;

    /// <summary>Each query's time from its planned send time to its answer (when queries run).</summary>
    public LongHistogram? QueryLatency { get; private set; }

    /// <summary>Times the answers of <paramref name="queries"/> (correlation −2 − k) into <see cref="QueryLatency"/>.</summary>
    public void TimeQueries(QueryProducer queries, LongHistogram latency)
    {
        _queries = queries;
        QueryLatency = latency;
    }

    /// <summary>Command <c>i</c> is planned at <paramref name="start"/> + i / <paramref name="rate"/> s; rate 0 records nothing.</summary>
    public void Begin(long start, long rate)
    {
        _start = start;
        _rate = rate;
        Array.Clear(_worstPer10Ms);
    }

    /// <summary>When in the run the stalls were: the 10 ms windows (by planned send time, ms from the start) whose
    /// worst command waited longer than <paramref name="thresholdNs"/>, with that wait. Read after the run.</summary>
    public IReadOnlyList<(long AtMs, long WorstNs)> SlowWindows(long thresholdNs)
    {
        var slow = new List<(long, long)>();
        for (var w = 0; w < _worstPer10Ms.Length; w++)
            if (_worstPer10Ms[w] > thresholdNs) slow.Add((w * 10L, _worstPer10Ms[w]));
        return slow;
    }

    public void OnEvents(long commandSequence, long correlation, ReadOnlySpan<Event> events)
    {
        var now = Stopwatch.GetTimestamp();
        if (correlation >= 0 && _rate > 0)
        {
            var planned = _start + correlation * Stopwatch.Frequency / _rate;
            var latency = Math.Clamp(Units.Nanoseconds(now - planned), 0, _highest);
            histogram.RecordValue(latency);
            var window = Math.Min(correlation * 100 / _rate, _worstPer10Ms.Length - 1);
            if (latency > _worstPer10Ms[window]) _worstPer10Ms[window] = latency;
        }
        else if (correlation <= -2 && _queries is not null)
        {
            QueryLatency!.RecordValue(Math.Clamp(Units.Nanoseconds(now - _queries.Planned((int)(-2 - correlation))), 0, _highest));
        }
        _events += events.Length;
        _lastDelivery = now;
        Volatile.Write(ref _delivered, _delivered + 1);
    }
}
