using System.Reflection;
using System.Runtime.Loader;

namespace Exchange.Benchmarks;

/// <summary>
/// An A/B of <see cref="SnapshotBenchmarks.Capture"/> between builds on a shared machine, in the manner of
/// <see cref="PairedLiquidation"/>: each build directory's benchmark class in its own load context in one process, the
/// state of <see cref="SnapshotBenchmarks.Setup"/> built by each, warm-up captures, then single captures alternating
/// between the builds (rotating which goes first), each timed in thread CPU (CLOCK_THREAD_CPUTIME_ID), with each build's
/// median and the median ratio of paired calls.
/// <code>dotnet Exchange.Benchmarks.dll paired-snapshot ACCOUNTS CALLS DIR_A DIR_B [DIR_C ...]</code>
/// </summary>
internal static class PairedSnapshot
{
    public static void Run(string[] args)
    {
        var accounts = int.Parse(args[0]);
        var calls = int.Parse(args[1]);
        var dirs = args[2..];
        var subjects = dirs.Select(d => new Subject(Path.GetFullPath(d), accounts)).ToArray();
        PairedCalls.Run(dirs, subjects.Select(s => (Func<long>)s.Call).ToArray(), warmRounds: 60, calls, $"capture of {accounts} accounts");
    }

    private sealed class Subject
    {
        private readonly Func<int> _capture;

        public Subject(string dir, int accounts)
        {
            var context = new PairedLiquidation.BuildContext(dir);
            var type = context.LoadFromAssemblyPath(Path.Combine(dir, "Exchange.Benchmarks.dll"))
                .GetType(typeof(SnapshotBenchmarks).FullName!)!;
            var o = Activator.CreateInstance(type)!;
            type.GetField(nameof(SnapshotBenchmarks.Accounts))!.SetValue(o, accounts);
            type.GetMethod(nameof(SnapshotBenchmarks.Setup))!.Invoke(o, null);
            _capture = (Func<int>)Delegate.CreateDelegate(typeof(Func<int>), o, nameof(SnapshotBenchmarks.Capture));
        }

        /// <summary>One capture; returns its thread CPU time in ns.</summary>
        public long Call()
        {
            var start = Exchange.LoadTest.ThreadCpu.Nanoseconds();
            _capture();
            return Exchange.LoadTest.ThreadCpu.Nanoseconds() - start;
        }
    }
}
