using System.Diagnostics;
using Exchange.Core.Commands;
using Exchange.Core.Journal;

namespace Exchange.Gateway.Metrics;

/// <summary>
/// The file journal with its commits timed: each <see cref="Commit"/>'s duration (the write, and the fsync when the
/// policy made one) goes to one of two <see cref="SampleRing"/>s, by whether the commit fsynced, for the metrics thread
/// to drain. On the journal thread: two clock reads per batch, no lock, no allocation.
/// </summary>
internal sealed class TimedJournal(JournalWriter inner, int sampleBuffer) : IJournal
{
    /// <summary>Durations (ticks) of commits that only wrote (fsync policy interval or never, between syncs).</summary>
    public SampleRing Writes { get; } = new(sampleBuffer);

    /// <summary>Durations (ticks) of commits that wrote and fsynced.</summary>
    public SampleRing Syncs { get; } = new(sampleBuffer);

    public long LastSequence => inner.LastSequence;

    public void Append(in Command command) => inner.Append(in command);

    public void Commit()
    {
        var synced = inner.SyncedSequence;
        var start = Stopwatch.GetTimestamp();
        inner.Commit();
        var elapsed = Stopwatch.GetTimestamp() - start;
        (inner.SyncedSequence != synced ? Syncs : Writes).Add(elapsed);
    }

    public void Dispose() => inner.Dispose();
}
