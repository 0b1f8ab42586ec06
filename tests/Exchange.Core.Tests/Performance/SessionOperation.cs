using Exchange.Benchmarks;

namespace Exchange.Core.Tests.Performance;

/// <summary>
/// Mirror of perf/Exchange.Benchmarks/SessionBenchmarks.cs: the same <see cref="EmbeddedGateway"/> (the real sessions,
/// pipeline without journal, router and streams over in-memory pipes), warmed up as the benchmark is, then its cycle.
/// Measured: the test thread, which is the client and, inline, each session's receive side (frame decode, checks,
/// publish); and the output thread (a probe around the router), which routes, encodes and runs each sender inline. The
/// business-logic thread is out of a thread-local counter's reach; perf/check-allocations.sh covers it
/// (BenchmarkDotNet counts every thread), and the core's own mirrors measure it alone.
/// </summary>
internal sealed class SessionOperation(string topology) : BudgetedOperation($"SessionBenchmarks.Command(Topology={topology})")
{
    private const int RunsPerMeasure = 2;
    private readonly EmbeddedGateway _gateway = new(topology, probeOutputThread: true);

    /// <summary>Each topology in turn (one server running at a time).</summary>
    public static IEnumerable<BudgetedOperation> Create()
    {
        yield return new SessionOperation("single");
        yield return new SessionOperation("parallel");
    }

    public override int OperationsPerRun => RunsPerMeasure * EmbeddedGateway.CommandsPerRun;

    public override void WarmUp()
    {
        for (var i = 0; i < SessionBenchmarks.WarmUpRuns; i++) _gateway.RunCycles();
    }

    public override IReadOnlyList<(string Thread, long Bytes)> Measure()
    {
        long client = long.MaxValue, output = long.MaxValue;
        for (var attempt = 0; attempt < 3 && (client != 0 || output != 0); attempt++)
        {
            _gateway.ResetOutputThreadBytes();
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < RunsPerMeasure; i++) _gateway.RunCycles();
            client = Math.Min(client, GC.GetAllocatedBytesForCurrentThread() - before);
            output = Math.Min(output, _gateway.OutputThreadBytes);
        }
        return [("client and receive side (test thread)", client), ("output thread", output)];
    }

    public override void Dispose() => _gateway.Dispose();
}
