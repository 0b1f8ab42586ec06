using System.Globalization;
using Exchange.Core.Journal;
using Exchange.Core.Pipeline;

namespace Exchange.LoadTest;

/// <summary>The command line: <c>[bl|pipeline] [--seed N] [--commands N] [--rates a,b,c] [--out DIR] ...</c>.</summary>
internal sealed record LoadTestOptions
{
    public const string Usage = """
        usage: Exchange.LoadTest [bl|pipeline|both|tcp|sustained] [options]
          bl                 the business-logic thread alone: Exchange.Apply in a loop (throughput, ns per command kind)
          pipeline           open-loop latency through ExchangePipeline at a ladder of fixed rates
          both               bl, then pipeline (the default)
          tcp                end to end over loopback: `exchange serve` in a child process, N trader sessions, a
                             place/cancel/move mix open-loop at each rate, compared with a bare TCP echo at the same
                             rate and message sizes (default rates 10k,50k,100k; not part of `both`)
          sustained          does the server stay flat: `exchange serve` in a child process with its own data directory and
                             default retention, --commands (default 10M) of order flow with deposits and marks at one rate
                             (the first of --rates, default 100k/s), then --flood rejected orders; samples the server's RSS,
                             managed heap, GC counts and journal/snapshot bytes every --sample-every commands and says
                             whether RSS stayed within ±15% after the warm-up (quick check: --commands 1M --flood 250k)
          paired-bl DIR_A DIR_B [--passes N] [--per-kind] [bl options]
                             an A/B of the business-logic thread between two builds' output directories in one process:
                             whole passes alternated, thread CPU per command, state hashes compared (--passes default 7);
                             --per-kind also times every command and gives each kind's mean over each command's fastest pass
        options:
          --seed N           generator seed (default 1)
          --commands N       measured commands (default: 3,000,000 for bl, 1,000,000 per rate for pipeline)
          --rates a,b,c      pipeline rates in commands/s, k and M suffixes allowed
                             (default 100k,250k,500k,1M,2M,3M,4M,5M; the ladder stops at the first rate not kept up:
                             delivered at under 98% of the rate)
          --all-rates        run every rate even after one is not kept up
          --mix M            exchange-core (default) or margin (thin accounts, mark moves that liquidate)
          --instruments N    books (default 1); commands are spread uniformly over them
          --accounts N       accounts (default 2,000)
          --orders N         resting orders per book (default 1,000)
          --wait W           pipeline wait strategy: yielding (default), busyspin, blocking
          --topology T       pipeline topology: auto (default: what the gateway runs on this machine, single below
                             4 CPUs, else parallel), parallel (journaler ∥ business logic -> output ring -> output
                             thread: for 4 or more dedicated cores) or single (journal, apply and output on one thread)
          --journal          journal to a temporary directory (fsync never: measures the journaler, not the disk)
          --late-joiners N   pipeline: N market-data late joiners' book queries, spread over each paced run (default 0)
          --account-queries N  pipeline: N account queries, spread over each paced run (default 0); both are
                             published from a second thread and timed apart from the commands
          --tokens           every measured command carries a token space (its account; one more for marks and
                             deposits) and that space's next token, as the gateway sends them: the core's token check runs
          --busy-meter       pipeline: a second stall meter beside the sleeping one, always runnable (it yields in a
                             loop, as an idle yielding stage does), for what a runnable thread waits for a CPU; it takes
                             a share of the CPUs, so it is off by default
          --jit-names        pipeline: name each method the JIT compiled during a paced run, with its flags and the
                             thread that compiled it, and each stop of every managed thread (reason, length, when); the
                             runtime's JIT and GC events, read in process; off by default
          --timeline MS      pipeline: print each paced run's first MS ms sampled every ~1 ms (commands due, published,
                             delivered; each pipeline thread's CPU time, run-queue wait and page faults; GCs; JIT'd methods)
          --model N          check the first N commands against the reference model (default 5,000; 0 = off)
          --profile-kind K   bl: before the measured passes, 25 replays in which every command of kind K (gtc, ioc,
                             cancel, move, mark, deposit) goes through BusinessLogicRun.ApplyProfiled, a method of its
                             own, so a profiler's call stacks separate that kind's samples from the mix's (perf with
                             DOTNET_PerfMapEnabled=1: the samples under ApplyProfiled)
          --connections N    tcp: trader connections (default 4; users lt01.. are generated)
          --seconds S        tcp: seconds per rate and target (default 3)
          --warmup-max-seconds S  tcp: the gateway's warm-up runs 2 s slices at the highest rate until the server
                             allocates under 1 B per command in one (its streams' windows are full), at most S seconds
                             (default 120; 0 = only the 1 s warm-up at the first rate)
          --server-dll PATH  tcp: the gateway's exchange.dll (default: src/Gateway/bin/<config>/<tfm>/ of this repository)
          --server-wait W    tcp: the server pipeline's wait strategy: blocking (default), yielding, busy-spin
          --server-topology T  tcp: the server pipeline's topology: auto (default: single below 4 CPUs), single, parallel
          --sample-every N   sustained: commands per sample (default 1M, or a quarter of --commands below 4M)
          --warmup N         sustained: commands before the RSS reference sample (default two fifths of the run, at most 4M)
          --flood N          sustained: rejected orders after the traffic (default min(--commands, 2M); 0 = none)
          --snapshot-every N sustained: the server's pipeline.snapshotEveryCommands (default: the server's default)
          --segment-bytes N  sustained: the server's pipeline.journalSegmentBytes (default: the server's default)
          --server-set K=V   tcp, sustained: sets a key of the server's configuration (a dotted path, e.g.
                             streams.retainBytes=16777216); repeatable
          --gcdump           sustained: a heap dump of the server after each phase (dotnet-gcdump, restored from the
                             repository's tool manifest: `dotnet tool restore`), its largest types printed, the file in --out
          --out DIR          where histograms (.hgrm), plot data and the plot go (default: $TMPDIR/exchange-loadtest)
        """;

    public bool RunBusinessLogic { get; init; } = true;
    public bool RunPipeline { get; init; } = true;
    public int Seed { get; init; } = 1;
    public int? Commands { get; init; }
    public long[] Rates { get; init; } = [100_000, 250_000, 500_000, 1_000_000, 2_000_000, 3_000_000, 4_000_000, 5_000_000];
    public bool RatesGiven { get; init; }
    public bool RunTcp { get; init; }
    public bool RunSustained { get; init; }
    public long? SampleEvery { get; init; }
    public long? Warmup { get; init; }
    public long? Flood { get; init; }
    public long? SnapshotEvery { get; init; }
    public long? SegmentBytes { get; init; }
    public bool GcDump { get; init; }
    public (string Path, string Value)[] ServerSettings { get; init; } = [];
    public int Connections { get; init; } = 4;
    public double Seconds { get; init; } = 3;
    public double WarmupMaxSeconds { get; init; } = 120;
    public string? ServerDll { get; init; }
    public string ServerWait { get; init; } = "blocking";
    public string ServerTopology { get; init; } = "auto";
    public long[] TcpRates => RatesGiven ? Rates : [10_000, 50_000, 100_000];
    public bool AllRates { get; init; }
    public WorkloadMix Mix { get; init; } = WorkloadMix.ExchangeCore;
    public int Instruments { get; init; } = 1;
    public int Accounts { get; init; } = 2_000;
    public int OrdersPerBook { get; init; } = 1_000;
    public WaitStrategyKind Wait { get; init; } = WaitStrategyKind.Yielding;
    public bool Journal { get; init; }
    public int LateJoiners { get; init; }
    public int AccountQueries { get; init; }
    /// <summary>Stamp each measured command with a token space and token (the core deduplicates them).</summary>
    public bool Tokens { get; init; }
    /// <summary>Null: <see cref="PipelineTopologies.ForThisMachine"/>, what the gateway's <c>auto</c> runs here.</summary>
    public PipelineTopology? TopologyGiven { get; init; }
    public PipelineTopology Topology => TopologyGiven ?? PipelineTopologies.ForThisMachine();
    public string TopologyName => TopologyGiven is null ? $"auto ({Topology} on {Environment.ProcessorCount} CPUs)" : Topology.ToString();
    public FsyncPolicy Fsync { get; init; } = FsyncPolicy.Never;
    public int ModelCommands { get; init; } = 5_000;
    /// <summary>bl: the command kind replayed through its own method for a profiler (null: none).</summary>
    public CommandKind? ProfileKind { get; init; }
    public int TimelineMs { get; init; }
    public bool BusyMeter { get; init; }
    public bool JitNames { get; init; }
    public string OutputDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "exchange-loadtest");

    public WorkloadSpec Workload(int defaultCommands) => new()
    {
        Seed = Seed, Mix = Mix, Instruments = Instruments, Accounts = Accounts, OrdersPerBook = OrdersPerBook,
        Commands = Commands ?? defaultCommands,
    };

    /// <summary>Parses the arguments; returns null and prints why when they are wrong.</summary>
    public static LoadTestOptions? Parse(string[] args)
    {
        var o = new LoadTestOptions();
        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
                o = args[i] switch
                {
                    "bl" => o with { RunBusinessLogic = true, RunPipeline = false, RunTcp = false },
                    "pipeline" => o with { RunBusinessLogic = false, RunPipeline = true, RunTcp = false },
                    "both" => o with { RunBusinessLogic = true, RunPipeline = true, RunTcp = false },
                    "tcp" => o with { RunBusinessLogic = false, RunPipeline = false, RunTcp = true },
                    "sustained" => o with { RunBusinessLogic = false, RunPipeline = false, RunTcp = false, RunSustained = true },
                    "--sample-every" => o with { SampleEvery = Count(Value()) },
                    "--warmup" => o with { Warmup = Count(Value()) },
                    "--flood" => o with { Flood = Count(Value()) },
                    "--snapshot-every" => o with { SnapshotEvery = Count(Value()) },
                    "--segment-bytes" => o with { SegmentBytes = Count(Value()) },
                    "--gcdump" => o with { GcDump = true },
                    "--server-set" => o with { ServerSettings = [.. o.ServerSettings, Setting(Value())] },
                    "--connections" => o with { Connections = (int)Count(Value()) },
                    "--seconds" => o with { Seconds = double.Parse(Value(), CultureInfo.InvariantCulture) },
                    "--warmup-max-seconds" => o with { WarmupMaxSeconds = double.Parse(Value(), CultureInfo.InvariantCulture) },
                    "--server-dll" => o with { ServerDll = Value() },
                    "--server-wait" => o with { ServerWait = Value() switch
                    {
                        var w when w is "blocking" or "yielding" or "busy-spin" => w,
                        var w => throw new FormatException($"unknown server wait strategy '{w}'"),
                    } },
                    "--server-topology" => o with { ServerTopology = Value() switch
                    {
                        var t when t is "auto" or "single" or "parallel" => t,
                        var t => throw new FormatException($"unknown server topology '{t}'"),
                    } },
                    "--seed" => o with { Seed = int.Parse(Value(), CultureInfo.InvariantCulture) },
                    "--commands" => o with { Commands = (int)Count(Value()) },
                    "--rates" => o with { Rates = Value().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Count).ToArray(), RatesGiven = true },
                    "--all-rates" => o with { AllRates = true },
                    "--mix" => o with { Mix = Value() switch
                    {
                        "exchange-core" => WorkloadMix.ExchangeCore,
                        "margin" => WorkloadMix.Margin,
                        var m => throw new FormatException($"unknown mix '{m}'"),
                    } },
                    "--instruments" => o with { Instruments = (int)Count(Value()) },
                    "--accounts" => o with { Accounts = (int)Count(Value()) },
                    "--orders" => o with { OrdersPerBook = (int)Count(Value()) },
                    "--wait" => o with { Wait = Value() switch
                    {
                        "yielding" => WaitStrategyKind.Yielding,
                        "busyspin" => WaitStrategyKind.BusySpin,
                        "blocking" => WaitStrategyKind.Blocking,
                        var w => throw new FormatException($"unknown wait strategy '{w}'"),
                    } },
                    "--journal" => o with { Journal = true },
                    "--late-joiners" => o with { LateJoiners = (int)Count(Value()) },
                    "--account-queries" => o with { AccountQueries = (int)Count(Value()) },
                    "--tokens" => o with { Tokens = true },
                    "--topology" => o with { TopologyGiven = Value() switch
                    {
                        "auto" => null,
                        "parallel" => PipelineTopology.Parallel,
                        "single" => PipelineTopology.SingleThread,
                        var t => throw new FormatException($"unknown topology '{t}'"),
                    } },
                    "--timeline" => o with { TimelineMs = (int)Count(Value()) },
                    "--busy-meter" => o with { BusyMeter = true },
                    "--jit-names" => o with { JitNames = true },
                    "--model" => o with { ModelCommands = (int)Count(Value()) },
                    "--profile-kind" => o with { ProfileKind = Value() switch
                    {
                        "gtc" => CommandKind.Gtc,
                        "ioc" => CommandKind.Ioc,
                        "cancel" => CommandKind.Cancel,
                        "move" => CommandKind.Move,
                        "mark" => CommandKind.Mark,
                        "deposit" => CommandKind.Deposit,
                        var k => throw new FormatException($"unknown command kind '{k}'"),
                    } },
                    "--out" => o with { OutputDirectory = Value() },
                    "-h" or "--help" => throw new FormatException(""),
                    var a => throw new FormatException($"unknown argument '{a}'"),
                };
            }
            if (o.Instruments is < 1 or > 64) throw new FormatException("--instruments must be 1..64");
            if (o.Accounts < 2) throw new FormatException("--accounts must be at least 2");
            if (o.Rates.Length == 0 || o.Rates.Any(r => r <= 0)) throw new FormatException("--rates must be positive");
            if (o.Connections is < 1 or > 99) throw new FormatException("--connections must be 1..99");
            if (o.Seconds is <= 0 or > 600) throw new FormatException("--seconds must be in (0, 600]");
            if (o.WarmupMaxSeconds is < 0 or > 3600) throw new FormatException("--warmup-max-seconds must be in [0, 3600]");
            if (o.Commands is <= 0) throw new FormatException("--commands must be positive");
            if (o.SampleEvery is <= 0 || o.Warmup is < 0 || o.Flood is < 0) throw new FormatException("--sample-every must be positive, --warmup and --flood not negative");
        }
        catch (FormatException e)
        {
            if (e.Message.Length > 0) Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Usage);
            return null;
        }
        return o;
    }

    private static (string, string) Setting(string s)
    {
        var i = s.IndexOf('=');
        if (i <= 0) throw new FormatException($"--server-set needs KEY=VALUE, got '{s}'");
        return (s[..i], s[(i + 1)..]);
    }

    /// <summary>A count such as 250000, 250k or 1.5M.</summary>
    private static long Count(string s)
    {
        var scale = 1.0;
        if (s.EndsWith('k') || s.EndsWith('K')) { scale = 1e3; s = s[..^1]; }
        else if (s.EndsWith('M') || s.EndsWith('m')) { scale = 1e6; s = s[..^1]; }
        return (long)Math.Round(double.Parse(s.Replace("_", "").Replace(",", ""), CultureInfo.InvariantCulture) * scale);
    }
}
