using System.Diagnostics;
using Exchange.Core.Journal;

namespace Exchange.Benchmarks;

/// <summary>
/// The pause a cluster node's snapshot costs the thread that takes it (the applier, or the leader's pipeline), before
/// and after issues 15/16, on the state of <see cref="SnapshotBenchmarks"/> (ACCOUNTS accounts, each with a position and
/// a resting order): before, that thread ran <c>SnapshotCodec.Write(exchange)</c> (a fresh buffer, capture and
/// serialization); now <c>SnapshotCodec.Capture(exchange, buffer)</c> (the raw copy into a reused image) and the
/// serialization runs on the pool thread. The two alternate in one process (which goes first rotates), each call timed
/// in wall-clock time; prints each one's median, p90 and max.
/// <code>dotnet Exchange.Benchmarks.dll cluster-snapshot-pause ACCOUNTS ROUNDS</code>
/// </summary>
internal static class ClusterSnapshotPause
{
    public static void Run(string[] args)
    {
        var accounts = int.Parse(args[0]);
        var rounds = int.Parse(args[1]);
        var state = new SnapshotBenchmarks { Accounts = accounts };
        state.Setup();
        var exchange = state.State;
        var buffer = new SnapshotBuffer();
        long Whole() { var t = Stopwatch.GetTimestamp(); var bytes = SnapshotCodec.Write(exchange); GC.KeepAlive(bytes); return Stopwatch.GetTimestamp() - t; }
        long Copy() { var t = Stopwatch.GetTimestamp(); SnapshotCodec.Capture(exchange, buffer); return Stopwatch.GetTimestamp() - t; }
        // The bytes are today's: the capture serialized elsewhere gives what the whole write gives.
        SnapshotCodec.Capture(exchange, buffer);
        SnapshotCodec.WriteCaptured(buffer);
        if (!buffer.Written.SequenceEqual(SnapshotCodec.Write(exchange)))
            throw new InvalidOperationException("the captured state serializes to other bytes than SnapshotCodec.Write");
        for (var i = 0; i < 10; i++) { Whole(); Copy(); }
        var before = new double[rounds];
        var after = new double[rounds];
        for (var i = 0; i < rounds; i++)
        {
            if (i % 2 == 0) { before[i] = Whole(); after[i] = Copy(); }
            else { after[i] = Copy(); before[i] = Whole(); }
        }
        Array.Sort(before);
        Array.Sort(after);
        double Us(double ticks) => ticks * 1e6 / Stopwatch.Frequency;
        Console.WriteLine($"# cluster-snapshot-pause {accounts} accounts, {rounds} rounds, {Environment.ProcessorCount} CPUs, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Console.WriteLine("| on the taking thread | median µs | p90 µs | max µs |");
        Console.WriteLine("|---|---:|---:|---:|");
        Console.WriteLine($"| before: SnapshotCodec.Write(exchange) | {Us(before[rounds / 2]):F0} | {Us(before[rounds * 9 / 10]):F0} | {Us(before[^1]):F0} |");
        Console.WriteLine($"| after: SnapshotCodec.Capture(exchange, buffer) | {Us(after[rounds / 2]):F0} | {Us(after[rounds * 9 / 10]):F0} | {Us(after[^1]):F0} |");
    }
}
