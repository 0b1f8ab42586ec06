using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Exchange.LoadTest;

/// <summary>
/// What happened in the first milliseconds of a paced run (<c>--timeline MS</c>), to tell the causes of an early stall
/// apart: every ~1 ms until MS ms after the plan's start, the commands due, published and delivered, and for the
/// process and each pipeline thread (found by name in <c>/proc/self/task</c>) the CPU time it ran, the time it waited
/// on a run queue (<c>schedstat</c>) and its minor page faults, with the process's GC count and JIT-compiled methods.
/// A thread that is slow while running points at its code (JIT, page faults), one that waits at the scheduler. Linux
/// only; reads preallocated buffers through handles opened before the run, so it allocates nothing while it samples.
/// </summary>
internal sealed class StartTimeline : IDisposable
{
    private static readonly string[] ThreadNames = ["exchange-logic", "exchange-output", "exchange-pipeline", "paced producer"];
    private readonly long _start;
    private readonly long _rate;
    private readonly long _untilNs;
    private readonly Func<long> _published;
    private readonly Func<long> _delivered;
    private readonly List<(string Name, SafeFileHandle SchedStat, SafeFileHandle Stat)> _threads = [];
    private readonly SafeFileHandle? _processStat;
    private readonly byte[] _buffer = new byte[1024];
    private readonly long[][] _rows = new long[4000][];
    private int _count;
    private readonly Thread _thread;
    private volatile bool _stop;
    // Per row: t (µs from the plan's start), due, published, delivered, process minflt, GC count, JIT methods,
    // then per thread: run ns, wait ns, minflt.
    private const int Fixed = 7, PerThread = 3;

    public StartTimeline(long start, long rate, long untilMs, Func<long> published, Func<long> delivered)
    {
        _start = start;
        _rate = rate;
        _untilNs = untilMs * 1_000_000;
        _published = published;
        _delivered = delivered;
        if (OperatingSystem.IsLinux())
        {
            foreach (var task in Directory.GetDirectories("/proc/self/task"))
            {
                string comm;
                try { comm = File.ReadAllText(Path.Combine(task, "comm")).Trim(); }
                catch (IOException) { continue; }
                // The kernel keeps 15 characters of a thread's name.
                var name = ThreadNames.FirstOrDefault(n => n.Length > 15 ? n[..15] == comm : n == comm);
                if (name is null || _threads.Any(t => t.Name == name)) continue;
                _threads.Add((name, File.OpenHandle(Path.Combine(task, "schedstat")), File.OpenHandle(Path.Combine(task, "stat"))));
            }
            _processStat = File.OpenHandle("/proc/self/stat");
        }
        var width = Fixed + PerThread * _threads.Count;
        for (var i = 0; i < _rows.Length; i++) _rows[i] = new long[width];
        _thread = new Thread(Run) { IsBackground = true, Name = "start timeline" };
        _thread.Start();
    }

    private void Run()
    {
        while (!_stop && _count < _rows.Length)
        {
            var ns = Units.Nanoseconds(Stopwatch.GetTimestamp() - _start);
            if (ns > _untilNs) break;
            var row = _rows[_count++];
            row[0] = ns / 1000;
            row[1] = ns < 0 ? 0 : ns * _rate / 1_000_000_000;
            row[2] = _published();
            row[3] = _delivered();
            row[4] = _processStat is null ? 0 : StatField(_processStat, 10);
            row[5] = GC.CollectionCount(0);
            row[6] = System.Runtime.JitInfo.GetCompiledMethodCount();
            for (var t = 0; t < _threads.Count; t++)
            {
                var at = Fixed + PerThread * t;
                (row[at], row[at + 1]) = SchedStat(_threads[t].SchedStat);
                row[at + 2] = StatField(_threads[t].Stat, 10);
            }
            Thread.Sleep(1);
        }
    }

    // /proc/.../schedstat: "run-ns wait-ns timeslices".
    private (long, long) SchedStat(SafeFileHandle file)
    {
        var n = RandomAccess.Read(file, _buffer, 0);
        var i = 0;
        var run = Number(_buffer, n, ref i);
        var wait = Number(_buffer, n, ref i);
        return (run, wait);
    }

    // /proc/.../stat: field k (1-based) after the command name, which is in parentheses and may hold spaces.
    private long StatField(SafeFileHandle file, int field)
    {
        var n = RandomAccess.Read(file, _buffer, 0);
        var i = Array.LastIndexOf(_buffer, (byte)')', n - 1) + 2;
        // Field 3 (the state) starts at i.
        for (var f = 3; f < field && i < n; i++)
            if (_buffer[i] == (byte)' ') f++;
        return Number(_buffer, n, ref i);
    }

    private static long Number(byte[] b, int n, ref int i)
    {
        while (i < n && (b[i] < '0' || b[i] > '9')) i++;
        long v = 0;
        while (i < n && b[i] >= '0' && b[i] <= '9') v = v * 10 + (b[i++] - '0');
        return v;
    }

    /// <summary>The samples as a table: each row's counts as deltas from the previous row, in µs and pages.</summary>
    public string Table()
    {
        var s = new StringBuilder();
        s.Append("| t (ms) | due | published | delivered | backlog | minflt | GCs | JIT methods |");
        foreach (var t in _threads) s.Append(CultureInfo.InvariantCulture, $" {t.Name}: ran / waited (µs), minflt |");
        s.AppendLine();
        s.Append("|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var _ in _threads) s.Append("---:|");
        s.AppendLine();
        for (var r = 1; r < _count; r++)
        {
            var (a, b) = (_rows[r - 1], _rows[r]);
            s.Append(CultureInfo.InvariantCulture,
                $"| {b[0] / 1000.0:F1} | {b[1]:N0} | {b[2]:N0} | {b[3]:N0} | {b[1] - b[3]:N0} | +{b[4] - a[4]} | {b[5]} | +{b[6] - a[6]} |");
            for (var t = 0; t < _threads.Count; t++)
            {
                var at = Fixed + PerThread * t;
                s.Append(CultureInfo.InvariantCulture,
                    $" {(b[at] - a[at]) / 1000} / {(b[at + 1] - a[at + 1]) / 1000}, +{b[at + 2] - a[at + 2]} |");
            }
            s.AppendLine();
        }
        return s.ToString();
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        _processStat?.Dispose();
        foreach (var t in _threads)
        {
            t.SchedStat.Dispose();
            t.Stat.Dispose();
        }
    }
}
