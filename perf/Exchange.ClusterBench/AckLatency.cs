using System.Diagnostics;
using Exchange.Core.Events;
using Exchange.Core.Pipeline;
using HdrHistogram;

namespace Exchange.ClusterBench;

/// <summary>
/// The pipeline's output as the clients would see it: for each command, the time from its publication to its
/// acknowledgement (after the journal's commit), recorded on the output thread.
/// </summary>
internal sealed class AckLatency(int commands) : IOutputHandler
{
    private readonly long[] _published = new long[commands + 1];
    private long _acknowledged;

    public LongHistogram Histogram { get; } = new(TimeSpan.TicksPerSecond * 10, 3);

    public long Acknowledged => Volatile.Read(ref _acknowledged);

    // Set after each acknowledgement: a producer that blocks (rather than spins) for a free slot waits on it.
    private readonly ManualResetEventSlim _acked = new(false, spinCount: 0);

    /// <summary>Blocks (no spinning: the machine's two CPUs stay with the path measured) until fewer than
    /// <paramref name="window"/> of the first <paramref name="published"/> commands are unacknowledged.</summary>
    public void WaitForRoom(long published, int window)
    {
        while (published - Acknowledged >= window)
        {
            _acked.Reset();
            if (published - Acknowledged >= window)
                _acked.Wait();
        }
    }

    /// <summary>Called by the producer just before it publishes command number <paramref name="n"/> (1-based).</summary>
    public void Published(int n) => _published[n] = Stopwatch.GetTimestamp();

    public void OnEvents(long commandSequence, long correlation, ReadOnlySpan<Event> events)
    {
        long now = Stopwatch.GetTimestamp();
        Histogram.RecordValue(Math.Max(0, (now - _published[correlation]) * TimeSpan.TicksPerSecond / Stopwatch.Frequency));
        Volatile.Write(ref _acknowledged, _acknowledged + 1);
        _acked.Set();
    }
}
