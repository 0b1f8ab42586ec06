using System.Diagnostics;
using Exchange.Core.Commands;
using Exchange.Core.Journal;
using Microsoft.Extensions.Logging;

namespace Exchange.ClusterBench;

/// <summary>
/// Where a Raft commit's time goes: timestamps of the leader journal's commit (start, end) and of the Raft library's
/// own debug events on every node, recorded without formatting, then lined up per commit.
/// </summary>
/// <remarks>
/// The library's events used (DotNext.Net.Cluster 6.12.2, `LogMessages`): 74012 a member's replication round starts
/// (the leader's heartbeat loop woke and handed the round to that member's replication task), 74013 the entries were
/// read from the leader's log and the AppendEntries request is being sent, 74014 that member's reply arrived and says
/// replicated, 74017 the leader committed (a majority's replies were counted and the commit index moved). The leader's
/// append is its log's append counter (entries-append-count, tagged with the node). A commit's end is when the journal
/// thread is back from the wait, i.e. after the leader's applier took the entry and the waiter was woken.
/// </remarks>
internal sealed class StageTrace : ILoggerFactory, ILoggerProvider
{
    private const int Capacity = 1 << 20;
    private readonly long[] _at = new long[Capacity];
    private readonly int[] _what = new int[Capacity];
    private int _count;

    public const int CommitStart = 1, CommitEnd = 2, RoundStarted = 74012, Sending = 74013, Replied = 74014,
        Committed = 74017, LeaderFlushStart = 3, LeaderAppended = 4;

    private readonly List<(long End, double Ms)> _flushes = [];

    private readonly System.Diagnostics.Metrics.MeterListener _meters = new();
    private readonly List<double>[] _flushMs = [[], [], [], []];
    private readonly List<double> _responseMs = [], _broadcastMs = [];
    private int _leaderNode;

    /// <summary>Listens to the library's flush-duration (per node), response-time and broadcast-time instruments.</summary>
    public void ListenToMeters(int leaderNode)
    {
        _leaderNode = leaderNode;
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Name is "entries-flush-duration" or "entries-flush-count" or "entries-append-count" or "response-time" or "broadcast-time")
                listener.EnableMeasurementEvents(instrument);
        };
        // The flush count is added with the node's tags when a flush starts; the duration is recorded, without tags,
        // when it ends: a flush of the leader is the one whose end minus its duration is its start.
        _meters.SetMeasurementEventCallback<long>((instrument, _, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "exchange.cluster.node" && tag.Value is int id && id == _leaderNode)
                    Record(instrument.Name == "entries-append-count" ? LeaderAppended : LeaderFlushStart);
        });
        _meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            var node = 0;
            foreach (var tag in tags)
                if (tag.Key == "exchange.cluster.node" && tag.Value is int id) node = id;
            lock (_meters)
            {
                switch (instrument.Name)
                {
                    case "entries-flush-duration":
                        _flushMs[Math.Clamp(node, 0, 3)].Add(value);
                        _flushes.Add((Stopwatch.GetTimestamp(), value));
                        break;
                    case "response-time": _responseMs.Add(value); break;
                    default: _broadcastMs.Add(value); break;
                }
            }
        });
        _meters.Start();
    }

    public void Record(int what)
    {
        var at = Stopwatch.GetTimestamp();
        var i = Interlocked.Increment(ref _count) - 1;
        if (i >= Capacity) return;
        _at[i] = at;
        Volatile.Write(ref _what[i], what);
    }

    public IReadOnlyList<(long At, int What)> Events()
    {
        var n = Math.Min(Volatile.Read(ref _count), Capacity);
        var list = new List<(long, int)>(n);
        for (var i = 0; i < n; i++)
            if (Volatile.Read(ref _what[i]) != 0) list.Add((_at[i], _what[i]));
        list.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return list;
    }

    public void Clear()
    {
        Volatile.Write(ref _count, 0);
        lock (_meters)
        {
            foreach (var list in _flushMs) list.Clear();
            _responseMs.Clear();
            _flushes.Clear();
            _broadcastMs.Clear();
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this);
    public void AddProvider(ILoggerProvider provider) { }
    public void Dispose() { }

    private sealed class Logger(StageTrace trace) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            switch (eventId.Id)
            {
                case RoundStarted or Sending or Replied or Committed:
                    trace.Record(eventId.Id);
                    break;
                default:
                    if (logLevel >= LogLevel.Warning)
                        Console.Error.WriteLine($"[{logLevel}] {formatter(state, exception)}");
                    break;
            }
        }
    }

    /// <summary>The leader's journal with its commit timed.</summary>
    public sealed class Journal(IJournal inner, StageTrace trace) : IJournal
    {
        public long LastSequence => inner.LastSequence;
        public void Append(in Command command) => inner.Append(command);

        public void Commit()
        {
            trace.Record(CommitStart);
            inner.Commit();
            trace.Record(CommitEnd);
        }

        public void BatchApplied() => inner.BatchApplied();
        public void Dispose() => inner.Dispose();
    }

    /// <summary>
    /// Lines the events up per commit (between a start and its end) and prints the median and p90 of each stage, in µs.
    /// Only commits with exactly one round of two members (the window-1 case) are counted.
    /// </summary>
    /// <param name="output">Where the table goes.</param>
    /// <param name="leaderFlush">Whether to line up the leader's flushes: only with the private-memory log, where the
    /// library counts a flush when it starts (with the memory-mapped one it counts it after its msyncs).</param>
    public void Report(TextWriter output, bool leaderFlush)
    {
        var events = Events();
        var stages = new Dictionary<string, List<double>>();
        string[] order =
        [
            "commit start -> appended (leader's log)", "appended -> round started (1st member)",
            "commit start -> round started (1st member)", "round started -> request sent (1st)",
            "request sent -> reply (1st member to reply)", "reply (1st) -> reply (2nd)",
            "reply (1st) -> committed", "committed -> commit end (applier + waiter)", "commit start -> commit end (total)",
            "commit start -> leader's flush done", "leader's flush done -> committed (when after the 1st reply)",
        ];
        foreach (var name in order) stages[name] = [];
        int counted = 0, skipped = 0;
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i].What != CommitStart) continue;
            var end = i + 1;
            while (end < events.Count && events[end].What != CommitEnd) end++;
            if (end == events.Count) break;
            long start = events[i].At, stop = events[end].At;
            var started = new List<long>();
            var sent = new List<long>();
            var replied = new List<long>();
            var committed = new List<long>();
            var flushed = new List<long>();
            var appended = new List<long>();
            for (var j = i + 1; j < end; j++)
            {
                switch (events[j].What)
                {
                    case RoundStarted: started.Add(events[j].At); break;
                    case Sending: sent.Add(events[j].At); break;
                    case Replied: replied.Add(events[j].At); break;
                    case Committed: committed.Add(events[j].At); break;
                    case LeaderFlushStart: flushed.Add(LeaderFlushEnd(events[j].At)); break;
                    case LeaderAppended: appended.Add(events[j].At); break;
                }
            }
            if (started.Count != 2 || sent.Count != 2 || replied.Count < 1 || committed.Count != 1)
            {
                skipped++;
                continue;
            }
            counted++;
            if (appended.Count == 1 && appended[0] < started[0])
            {
                stages[order[0]].Add(Us(start, appended[0]));
                stages[order[1]].Add(Us(appended[0], started[0]));
            }
            stages[order[2]].Add(Us(start, started[0]));
            stages[order[3]].Add(Us(started[0], sent[0]));
            stages[order[4]].Add(Us(sent[0], replied[0]));
            if (replied.Count > 1) stages[order[5]].Add(Us(replied[0], replied[1]));
            stages[order[6]].Add(Us(replied[0], committed[0]));
            stages[order[7]].Add(Us(committed[0], stop));
            stages[order[8]].Add(Us(start, stop));
            if (leaderFlush && flushed.Count > 0 && flushed[0] > 0)
            {
                stages[order[9]].Add(Us(start, flushed[0]));
                if (flushed[0] > replied[0]) stages[order[10]].Add(Us(flushed[0], committed[0]));
            }
            i = end;
        }

        output.WriteLine($"{counted} commits traced ({skipped} with another shape skipped)");
        output.WriteLine("| stage | p50 µs | p90 µs |");
        output.WriteLine("|---|---:|---:|");
        foreach (var name in order)
        {
            var v = stages[name];
            if (v.Count == 0) continue;
            v.Sort();
            output.WriteLine($"| {name} | {v[v.Count / 2]:F0} | {v[v.Count * 9 / 10]:F0} |");
        }
        lock (_meters)
        {
            Summary(output, "WAL flush duration, all nodes (library meter)", _flushMs[0]);
            Summary(output, "AppendEntries response time, leader's client (library meter)", _responseMs);
            Summary(output, "broadcast time, round start to majority (library meter)", _broadcastMs);
        }
    }

    // The end of the flush that started at `start` (0 if none matches within 30 µs).
    private long LeaderFlushEnd(long start)
    {
        lock (_meters)
        {
            foreach (var (end, ms) in _flushes)
                if (Math.Abs(end - (long)(ms * Stopwatch.Frequency / 1000) - start) < Stopwatch.Frequency / 33_000)
                    return end;
        }
        return 0;
    }

    private static void Summary(TextWriter output, string name, List<double> ms)
    {
        if (ms.Count == 0) return;
        ms.Sort();
        output.WriteLine($"| {name} | {ms[ms.Count / 2] * 1000:F0} | {ms[ms.Count * 9 / 10] * 1000:F0} |");
    }

    private static double Us(long from, long to) => (to - from) * 1_000_000.0 / Stopwatch.Frequency;
}
