using System.Globalization;

namespace Exchange.LoadTest;

/// <summary>
/// What the scheduler did to one thread (Linux <c>/proc/.../task/TID/schedstat</c> and <c>status</c>): the time it
/// ran, the time it waited on a run queue while runnable, how many times it was put on a CPU, and how many times it
/// was preempted (involuntary context switches). Two readings subtract. A thread that is always runnable (a yielding
/// or spinning wait) and loses the CPU to another waits there for a scheduler slice (~1.4 ms on this kernel); a
/// sleeping thread that wakes is usually run at once. The difference is what a sleeping stall meter cannot see.
/// </summary>
internal readonly record struct SchedStat(long RunNs, long WaitNs, long Slices, long Involuntary)
{
    public static SchedStat operator -(SchedStat a, SchedStat b) =>
        new(a.RunNs - b.RunNs, a.WaitNs - b.WaitNs, a.Slices - b.Slices, a.Involuntary - b.Involuntary);

    /// <summary>The calling thread's.</summary>
    public static SchedStat Self() => Read("/proc/thread-self");

    /// <summary>Every thread of this process whose name (the kernel keeps 15 characters) starts one of <paramref name="names"/>.</summary>
    public static Dictionary<string, SchedStat> Threads(IEnumerable<string> names)
    {
        var result = new Dictionary<string, SchedStat>();
        if (!OperatingSystem.IsLinux()) return result;
        foreach (var task in Directory.GetDirectories("/proc/self/task"))
        {
            string comm;
            try { comm = File.ReadAllText(Path.Combine(task, "comm")).Trim(); }
            catch (IOException) { continue; }
            foreach (var name in names)
                if (name.Length > 15 ? name[..15] == comm : name == comm)
                    result.TryAdd(name, Read(task));
        }
        return result;
    }

    private static SchedStat Read(string task)
    {
        if (!OperatingSystem.IsLinux()) return default;
        try
        {
            var f = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long involuntary = 0;
            foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                if (line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                    involuntary = long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim(), CultureInfo.InvariantCulture);
            return new SchedStat(long.Parse(f[0], CultureInfo.InvariantCulture), long.Parse(f[1], CultureInfo.InvariantCulture),
                long.Parse(f[2], CultureInfo.InvariantCulture), involuntary);
        }
        catch (IOException)
        {
            return default;
        }
    }

    public string Describe(double runSeconds) => string.Create(CultureInfo.InvariantCulture,
        $"ran {RunNs / 1e6:F0} ms ({RunNs / 1e9 / runSeconds:P0}), waited for a CPU {WaitNs / 1e6:F1} ms over {Slices:N0} slices " +
        $"({(Slices == 0 ? 0 : WaitNs / 1e3 / Slices):F1} µs each), {Involuntary:N0} involuntary switches (a yield that hands the CPU over counts as one)");
}
