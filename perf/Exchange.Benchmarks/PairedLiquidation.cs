using System.Reflection;
using System.Runtime.Loader;

namespace Exchange.Benchmarks;

/// <summary>
/// An A/B of <see cref="LiquidationBenchmarks"/> between builds on a shared machine: loads the benchmark class of each
/// build directory (its Exchange.Benchmarks.dll and Exchange.Core.dll) into its own load context in one process, warms
/// each up (120 rounds with pauses, so the shared methods reach tier 1), then alternates single calls between the
/// builds, rotating which goes first, and reports each build's thread CPU time per call (CLOCK_THREAD_CPUTIME_ID:
/// time other processes held the CPU is left out) and the median ratio of paired calls. Other processes still evict
/// the caches, but both builds suffer it in the same seconds.
/// <code>dotnet Exchange.Benchmarks.dll paired-liquidation WINNERS Adl|Socialize CALLS DIR_A DIR_B [DIR_C ...]</code>
/// </summary>
internal static class PairedLiquidation
{
    public static void Run(string[] args)
    {
        var winners = int.Parse(args[0]);
        var policy = args[1];
        var calls = int.Parse(args[2]);
        var dirs = args[3..];
        var subjects = dirs.Select(d => new Subject(Path.GetFullPath(d), winners, policy)).ToArray();
        PairedCalls.Run(dirs, subjects.Select(s => (Func<long>)s.Call).ToArray(), warmRounds: 120, calls, $"{winners} {policy}");
    }

    private sealed class Subject
    {
        private readonly Action _reopen;
        private readonly Func<int> _mark;

        public Subject(string dir, int winners, string policy)
        {
            var context = new BuildContext(dir);
            var type = context.LoadFromAssemblyPath(Path.Combine(dir, "Exchange.Benchmarks.dll"))
                .GetType(typeof(LiquidationBenchmarks).FullName!)!;
            var o = Activator.CreateInstance(type)!;
            type.GetField(nameof(LiquidationBenchmarks.Winners))!.SetValue(o, winners);
            var field = type.GetField(nameof(LiquidationBenchmarks.Policy))!;
            field.SetValue(o, Enum.Parse(field.FieldType, policy));
            type.GetMethod(nameof(LiquidationBenchmarks.Setup))!.Invoke(o, null);
            _reopen = (Action)Delegate.CreateDelegate(typeof(Action), o, nameof(LiquidationBenchmarks.Reopen));
            _mark = (Func<int>)Delegate.CreateDelegate(typeof(Func<int>), o, nameof(LiquidationBenchmarks.MarkGap_BankruptAgainstWinners));
        }

        /// <summary>Reopens (untimed), then one liquidation; returns its thread CPU time in ns.</summary>
        public long Call()
        {
            _reopen();
            var start = Exchange.LoadTest.ThreadCpu.Nanoseconds();
            _mark();
            return Exchange.LoadTest.ThreadCpu.Nanoseconds() - start;
        }
    }

    internal sealed class BuildContext(string dir) : AssemblyLoadContext
    {
        protected override Assembly? Load(AssemblyName name) =>
            name.Name is { } n && n.StartsWith("Exchange.", StringComparison.Ordinal) && File.Exists(Path.Combine(dir, n + ".dll"))
                ? LoadFromAssemblyPath(Path.Combine(dir, n + ".dll"))
                : null;
    }
}
