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
/// state hash of every pass (which must equal the generator's).
/// <code>dotnet Exchange.LoadTest.dll paired-bl DIR_A DIR_B [...] [--passes N] [bl options: --mix, --instruments, ...]</code>
/// </summary>
internal static class PairedBusinessLogic
{
    public static int Run(string[] args)
    {
        var dirs = new List<string>();
        var rest = new List<string> { "bl", "--model", "0" };
        var passes = 7;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--passes") passes = int.Parse(args[++i]);
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
            for (var w = 0; w < 2; w++) s.Pass(out _);
        var cpu = subjects.Select(_ => new double[passes]).ToArray();
        for (var i = 0; i < passes; i++)
            for (var k = 0; k < subjects.Length; k++)
            {
                var j = (i + k) % subjects.Length;
                cpu[j][i] = subjects[j].Pass(out var hash);
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
        private readonly int _commands;

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
        }

        public ulong FinalHash { get; }

        /// <summary>One pass; returns its thread CPU ns per measured command (less a fresh exchange's setup).</summary>
        public double Pass(out ulong hash)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var t0 = ThreadCpu.Nanoseconds();
            _newExchange.Invoke(_workload, null);
            var t1 = ThreadCpu.Nanoseconds();
            var x = _replay.Invoke(_workload, [_commands])!;
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
