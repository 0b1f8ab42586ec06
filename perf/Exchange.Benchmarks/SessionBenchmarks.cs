using BenchmarkDotNet.Attributes;

namespace Exchange.Benchmarks;

/// <summary>
/// The server's per-command path without sockets (issue 16): a SoupBinTCP frame into a session, its decode, the rate
/// limit, role and range checks, the publish, the pipeline (the core's token check and matching; no journal), the
/// router's translation, the user's stream and the market-data order log, and the sender's encoding of every message
/// into the session's outbound buffer, which a client drains (<see cref="EmbeddedGateway"/>). Operation = one command
/// of the cycle (a resting order, a bid and its cancel, IOC takers): 0 B allocated per command on every thread,
/// budgeted in allocation-budget.json; the in-process mirror is SessionOperation in the core's tests.
/// </summary>
[MemoryDiagnoser]
public class SessionBenchmarks
{
    /// <summary>Runs the warm-up does before measuring: the streams' retention windows (the smallest allowed) fill.</summary>
    public const int WarmUpRuns = 60;

    [Params("single", "parallel")]
    public string Topology { get; set; } = "single";

    private EmbeddedGateway _gateway = null!;

    [GlobalSetup]
    public void Setup()
    {
        _gateway = new EmbeddedGateway(Topology);
        for (var i = 0; i < WarmUpRuns; i++) _gateway.RunCycles();
    }

    [GlobalCleanup]
    public void Cleanup() => _gateway.Dispose();

    [Benchmark(OperationsPerInvoke = EmbeddedGateway.CommandsPerRun)]
    public long Command() => _gateway.RunCycles();
}
