using System.Reflection;
using System.Runtime.Loader;

namespace Exchange.LoadTest;

/// <summary>
/// An A/B of the business-logic thread between builds on a shared machine. Loads each build directory's
/// Exchange.LoadTest.dll and Exchange.Core.dll into its own load context in one process, generates the workload in
/// each (same options and seed, so the same commands), runs two warm-up passes of each, then alternates whole passes
/// between the builds, rotating which goes first. A pass is the workload's <c>Replay</c>: a fresh exchange, the
/// setup, then every measured command; its thread CPU time (CLOCK_THREAD_CPUTIME_ID: the time other processes held
/// the CPU is left out) less that of building a fresh exchange with the setup just before, per measured command. It
/// prints each build's per-pass figures, their median and minimum, the median ratio of the paired passes, and the
/// state hash of every pass (which must equal the generator's). With <c>--per-kind</c> every measured command is also
/// timed (two clock reads around it, in every pass of both builds, so the CPU figures include them alike), and each
/// build's mean per command kind is given over each command's fastest pass (less the median cost of the two clock
/// reads): on a loaded machine a command's fastest of several passes is the one no other process interrupted, so the
/// per-kind means can be compared between builds where a single timed pass cannot. Both builds must have
/// <c>Workload.ReplayTimed</c>.
/// <code>dotnet Exchange.LoadTest.dll paired-bl DIR_A DIR_B [...] [--passes N] [--per-kind] [bl options: --mix, --instruments, ...]</code>
/// </summary>
internal static class PairedBusinessLogic
{
    public static int Run(string[] args)
    {
        var dirs = new List<string>();
        var rest = new List<string> { "bl", "--model", "0" };
        var passes = 7;
        var perKind = false;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--passes") passes = int.Parse(args[++i]);
            else if (args[i] == "--per-kind") perKind = true;
            else if (!args[i].StartsWith("--", StringComparison.Ordinal) && Directory.Exists(args[i])) dirs.Add(Path.GetFullPath(args[i]));
            else rest.Add(args[i]);
        }
        if (dirs.Count < 2)
        {
            Console.Error.WriteLine("usage: paired-bl DIR_A DIR_B [...] [--passes N] [bl options]");
            return 2;
        }
        Console.WriteLine($"paired-bl {string.Join(' ', args)}; {LoadAverage()}; {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC");
        var subjects = dirs.Select(d => new Subject(d, rest.ToArray())).ToArray();
        var failures = 0;
        foreach (var s in subjects)
            for (var w = 0; w < 2; w++) s.Pass(out _, perKind);
        if (perKind)
            foreach (var s in subjects) s.ResetTimes();
        var cpu = subjects.Select(_ => new double[passes]).ToArray();
        for (var i = 0; i < passes; i++)
            for (var k = 0; k < subjects.Length; k++)
            {
                var j = (i + k) % subjects.Length;
                cpu[j][i] = subjects[j].Pass(out var hash, perKind);
                if (hash != subjects[j].FinalHash)
                {
                    Console.WriteLine($"{dirs[j]}: pass {i} state hash {hash:x16} != generator's {subjects[j].FinalHash:x16}");
                    failures++;
                }
            }
        for (var k = 0; k < subjects.Length; k++)
        {
            var sorted = cpu[k].Order().ToArray();
            Console.WriteLine($"{dirs[k]}: state hash {subjects[k].FinalHash:x16}; thread CPU per command: " +
                              $"median {sorted[passes / 2]:F1} ns, min {sorted[0]:F1} ns; passes {string.Join(' ', cpu[k].Select(c => c.ToString("F1")))}");
        }
        if (perKind)
        {
            var clock = ClockPairNanoseconds();
            Console.WriteLine($"per command kind: mean over each command's fastest of {passes} passes, less {clock:F1} ns for the " +
                              "clock reads (median of back-to-back pairs); in brackets the mean over all passes; slow = fastest pass over 5 us");
            var means = new double[subjects.Length][];
            for (var k = 0; k < subjects.Length; k++)
            {
                means[k] = subjects[k].KindMeans(clock, passes, out var all, out var slow);
                Console.WriteLine($"{dirs[k]}: " + string.Join("; ", Enumerable.Range(0, CommandKinds.Count).Where(c => !double.IsNaN(means[k][c]))
                    .Select(c => $"{CommandKinds.Name((CommandKind)c)} {means[k][c]:F1} ns ({all[c]:F1}), slow {slow[c]}")));
            }
            for (var k = 1; k < subjects.Length; k++)
                Console.WriteLine($"{dirs[k]} / {dirs[0]} by kind: " + string.Join("; ", Enumerable.Range(0, CommandKinds.Count)
                    .Where(c => !double.IsNaN(means[k][c])).Select(c => $"{CommandKinds.Name((CommandKind)c)} {means[k][c] / means[0][c]:F3}")));
        }
        for (var k = 1; k < subjects.Length; k++)
        {
            var ratios = Enumerable.Range(0, passes).Select(i => cpu[k][i] / cpu[0][i]).Order().ToArray();
            Console.WriteLine($"{dirs[k]} / {dirs[0]}: median ratio of paired passes {ratios[passes / 2]:F3} (min {ratios[0]:F3}, max {ratios[^1]:F3})");
            if (subjects[k].FinalHash != subjects[0].FinalHash)
            {
                Console.WriteLine($"state hashes differ: {subjects[k].FinalHash:x16} != {subjects[0].FinalHash:x16}");
                failures++;
            }
        }
        Console.WriteLine($"{LoadAverage()}; {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC");
        return failures > 0 ? 1 : 0;
    }

    /// <summary>The median cost of two back-to-back clock reads, in ns.</summary>
    private static double ClockPairNanoseconds()
    {
        var d = new long[200_001];
        for (var i = 0; i < d.Length; i++)
        {
            var a = System.Diagnostics.Stopwatch.GetTimestamp();
            d[i] = System.Diagnostics.Stopwatch.GetTimestamp() - a;
        }
        Array.Sort(d);
        return d[d.Length / 2] * Units.NanosecondsPerTick;
    }

    private static string LoadAverage()
    {
        try { return "load average " + string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "load average unknown"; }
    }

    private sealed class Subject
    {
        private readonly object _workload;
        private readonly MethodInfo _newExchange;
        private readonly MethodInfo _replay;
        private readonly MethodInfo? _replayTimed;
        private readonly int _commands;
        private readonly int[] _kinds;
        private readonly long[] _min;
        private readonly long[] _sum;

        public Subject(string dir, string[] args)
        {
            var assembly = new BuildContext(dir).LoadFromAssemblyPath(Path.Combine(dir, "Exchange.LoadTest.dll"));
            Type T(string name) => assembly.GetType("Exchange.LoadTest." + name, throwOnError: true)!;
            const BindingFlags any = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;
            var options = T("LoadTestOptions").GetMethod("Parse", any)!.Invoke(null, [args])
                          ?? throw new ArgumentException("bad options: " + string.Join(' ', args));
            var spec = options.GetType().GetMethod("Workload", any)!.Invoke(options, [3_000_000])!;
            Console.WriteLine($"{dir}: generating ...");
            var generator = Activator.CreateInstance(T("WorkloadGenerator"), any, null, [spec], null)!;
            _workload = generator.GetType().GetMethod("Generate", any)!.Invoke(generator, null)!;
            var type = _workload.GetType();
            FinalHash = (ulong)type.GetProperty("FinalHash", any)!.GetValue(_workload)!;
            _commands = ((Array)type.GetProperty("Commands", any)!.GetValue(_workload)!).Length;
            _newExchange = type.GetMethod("NewExchange", any)!;
            _replay = type.GetMethod("Replay", any)!;
            _replayTimed = type.GetMethod("ReplayTimed", any);
            var kinds = (Array)type.GetProperty("Kinds", any)!.GetValue(_workload)!;
            _kinds = new int[kinds.Length];
            for (var i = 0; i < _kinds.Length; i++) _kinds[i] = Convert.ToInt32(kinds.GetValue(i));
            _min = new long[_commands];
            _sum = new long[_commands];
            ResetTimes();
        }

        public ulong FinalHash { get; }

        /// <summary>One pass; returns its thread CPU ns per measured command (less a fresh exchange's setup).</summary>
        public void ResetTimes()
        {
            Array.Fill(_min, long.MaxValue);
            Array.Clear(_sum);
        }

        /// <summary>Per kind: the mean of each command's fastest time, less the clock reads (NaN for a kind absent);
        /// <paramref name="all"/> the mean over all passes; <paramref name="slow"/> how many commands were never under 5 us.</summary>
        public double[] KindMeans(double clock, int passes, out double[] all, out long[] slow)
        {
            var sumMin = new double[CommandKinds.Count];
            var sumAll = new double[CommandKinds.Count];
            var count = new long[CommandKinds.Count];
            slow = new long[CommandKinds.Count];
            for (var i = 0; i < _commands; i++)
            {
                var k = _kinds[i];
                var min = _min[i] * Units.NanosecondsPerTick;
                sumMin[k] += min;
                sumAll[k] += _sum[i] * Units.NanosecondsPerTick / passes;
                count[k]++;
                if (min > 5_000) slow[k]++;
            }
            all = new double[CommandKinds.Count];
            var means = new double[CommandKinds.Count];
            for (var k = 0; k < means.Length; k++)
            {
                means[k] = count[k] == 0 ? double.NaN : sumMin[k] / count[k] - clock;
                all[k] = count[k] == 0 ? double.NaN : sumAll[k] / count[k] - clock;
            }
            return means;
        }

        public double Pass(out ulong hash, bool timed)
        {
            if (timed && _replayTimed is null) throw new InvalidOperationException("--per-kind: this build has no Workload.ReplayTimed");
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var t0 = ThreadCpu.Nanoseconds();
            _newExchange.Invoke(_workload, null);
            var t1 = ThreadCpu.Nanoseconds();
            var x = (timed ? _replayTimed!.Invoke(_workload, [_commands, _min, _sum]) : _replay.Invoke(_workload, [_commands]))!;
            var t2 = ThreadCpu.Nanoseconds();
            hash = (ulong)x.GetType().GetMethod("StateHash")!.Invoke(x, null)!;
            return ((t2 - t1) - (t1 - t0)) / (double)_commands;
        }
    }

    private sealed class BuildContext(string dir) : AssemblyLoadContext
    {
        protected override Assembly? Load(AssemblyName name) =>
            name.Name is { } n && n.StartsWith("Exchange.", StringComparison.Ordinal) && File.Exists(Path.Combine(dir, n + ".dll"))
                ? LoadFromAssemblyPath(Path.Combine(dir, n + ".dll"))
                : null;
    }
}
