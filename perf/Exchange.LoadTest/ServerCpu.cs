namespace Exchange.LoadTest;

/// <summary>
/// The CPU time a process's threads have run so far (Linux <c>/proc/PID/task/*/schedstat</c>, nanoseconds, user and
/// system together), split by what the threads are: the pipeline (<c>exchange-*</c>), the socket engine
/// (<c>.NET Sockets</c>, where the receive loops run with inline I/O), the thread pool (<c>.NET TP Worker</c>) and the
/// rest. Over a measured window, divided by its commands, it is the server's cost per command, which the load on a
/// shared machine moves far less than the latencies. All zero where it cannot be read.
/// </summary>
internal readonly record struct ServerCpu(long PipelineNs, long SocketsNs, long PoolNs, long OtherNs)
{
    public long TotalNs => PipelineNs + SocketsNs + PoolNs + OtherNs;

    public static ServerCpu operator -(ServerCpu a, ServerCpu b) =>
        new(a.PipelineNs - b.PipelineNs, a.SocketsNs - b.SocketsNs, a.PoolNs - b.PoolNs, a.OtherNs - b.OtherNs);

    /// <summary>Reads every thread of process <paramref name="pid"/> (threads that ended are not counted).</summary>
    public static ServerCpu Read(int pid) => Sum(Threads(pid), null);

    /// <summary>Each thread's name and CPU time so far, by thread id (empty where it cannot be read).</summary>
    public static Dictionary<int, (string Comm, long Ns)> Threads(int pid)
    {
        var threads = new Dictionary<int, (string, long)>();
        if (!OperatingSystem.IsLinux()) return threads;
        string[] tasks;
        try { tasks = Directory.GetDirectories($"/proc/{pid}/task"); }
        catch (IOException) { return threads; }
        foreach (var task in tasks)
        {
            string comm, schedstat;
            try
            {
                comm = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
                schedstat = File.ReadAllText(Path.Combine(task, "schedstat"));
            }
            catch (IOException)
            {
                continue; // the thread ended meanwhile
            }
            var ns = long.Parse(schedstat.AsSpan(0, schedstat.IndexOf(' ')), System.Globalization.CultureInfo.InvariantCulture);
            threads[int.Parse(Path.GetFileName(task), System.Globalization.CultureInfo.InvariantCulture)] = (comm, ns);
        }
        return threads;
    }

    /// <summary>The CPU time each thread of <paramref name="now"/> ran since <paramref name="before"/> (a thread that
    /// started meanwhile counts whole; one that ended meanwhile is lost, never negative), split by kind.</summary>
    public static ServerCpu Sum(Dictionary<int, (string Comm, long Ns)> now, Dictionary<int, (string Comm, long Ns)>? before)
    {
        long pipeline = 0, sockets = 0, pool = 0, other = 0;
        foreach (var (tid, (comm, total)) in now)
        {
            var ns = before is not null && before.TryGetValue(tid, out var b) && b.Comm == comm ? total - b.Ns : total;
            if (comm.StartsWith("exchange-", StringComparison.Ordinal)) pipeline += ns;
            else if (comm.StartsWith(".NET Sockets", StringComparison.Ordinal)) sockets += ns;
            else if (comm.StartsWith(".NET TP Worker", StringComparison.Ordinal)) pool += ns;
            else other += ns;
        }
        return new(pipeline, sockets, pool, other);
    }

    /// <summary>"total (pipeline / sockets / pool / other)" in µs per command.</summary>
    public string PerCommand(long commands)
    {
        var n = Math.Max(1, commands);
        static string Us(long ns, long n) => (ns / 1000.0 / n).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
        return $"{Us(TotalNs, n)} ({Us(PipelineNs, n)} / {Us(SocketsNs, n)} / {Us(PoolNs, n)} / {Us(OtherNs, n)})";
    }
}
