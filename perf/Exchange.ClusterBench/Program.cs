using System.Diagnostics;
using Exchange.ClusterBench;
using Exchange.Cluster;
using Exchange.Core.Commands;
using Exchange.Core.Journal;
using Exchange.Core.Pipeline;
using HdrHistogram;

// Commit latency and throughput of the replicated pipeline (three Raft nodes in this process on 127.0.0.1, the
// leader's pipeline journaling through RaftJournal) against the single-node file journal (fsync per batch), in the
// same run, at several in-flight windows (the most commands outstanding at once: how large batches can grow).
// usage: Exchange.ClusterBench [--commands N] [--windows 1,16,256,4096] [--wal shared|private]
//        Exchange.ClusterBench failover [--kills 20] [--election 500,1000] [--window 4] [--trace]
//        Exchange.ClusterBench cpu [--commands 200000] [--window 64] [--election 1000,2000]
//        Exchange.ClusterBench stages [--commands 5000] [--window 1] [--wal shared|private] [--followers-dir /dev/shm]
//        Exchange.ClusterBench wal [--commands 1000] [--rounds 3] [--only 0,1,2]
//        Exchange.ClusterBench install-race [--rounds 2000] [--gap 200] [--install-ms 0] [--wal shared|private] [--commit] [--flush-first]
// The last two run three `exchange serve --cluster` processes (ProcessRuns); `stages` runs the in-process nodes with
// the Raft library's debug events timed, and prints where a commit's time goes (StageTrace).
if (args.Length > 0 && args[0] is "failover" or "cpu")
{
    string Arg(string name, string fallback)
    {
        var at = Array.IndexOf(args, name);
        return at > 0 && at + 1 < args.Length ? args[at + 1] : fallback;
    }
    var election = Arg("--election", args[0] == "failover" ? "500,1000" : "1000,2000").Split(',').Select(int.Parse).ToArray();
    Console.WriteLine($"# Exchange.ClusterBench {string.Join(' ', args)}: {Environment.ProcessorCount} CPUs, {Load()}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
    var code = args[0] == "failover"
        ? await ProcessRuns.FailoverAsync(int.Parse(Arg("--kills", "20")), election[0], election[1], int.Parse(Arg("--window", "4")), args.Contains("--trace"))
        : await ProcessRuns.CpuAsync(int.Parse(Arg("--commands", "200000")), int.Parse(Arg("--window", "64")), election[0], election[1]);
    Console.WriteLine($"Load at the end: {Load()}.");
    return code;
}

var commands = 50_000;
int[] windows = [1, 16, 256, 4096];
var wal = WalMemory.Shared;
{
    var at = Array.IndexOf(args, "--wal");
    if (at > 0 && at + 1 < args.Length)
        wal = args[at + 1] == "private" ? WalMemory.Private : args[at + 1] == "shared" ? WalMemory.Shared
            : throw new ArgumentException("--wal is shared or private");
}
// --producer blocking: the producer waits for a free slot on an event instead of spinning (a spinning producer holds
// one of two CPUs that the Raft path's thread-pool hops need; the file journal's fsync needs none).
var blockingProducer = Array.IndexOf(args, "--producer") is var p && p > 0 && p + 1 < args.Length && args[p + 1] == "blocking";
var raftName = wal == WalMemory.Shared ? "raft, 3 nodes" : "raft, 3 nodes, private-memory WAL";
if (args.Length > 0 && args[0] == "wal")
{
    var at = Array.IndexOf(args, "--commands");
    var rounds = Array.IndexOf(args, "--rounds");
    Console.WriteLine($"# Exchange.ClusterBench {string.Join(' ', args)}: {Environment.ProcessorCount} CPUs, {Load()}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
    var walRoot = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "exchange-clusterbench-" + Guid.NewGuid().ToString("N"))).FullName;
    try
    {
        var only = Array.IndexOf(args, "--only");
        await WalFlush.RunAsync(walRoot, at > 0 ? int.Parse(args[at + 1]) : 1000, rounds > 0 ? int.Parse(args[rounds + 1]) : 3,
            only > 0 ? args[only + 1].Split(',').Select(int.Parse).ToArray() : null);
    }
    finally
    {
        Directory.Delete(walRoot, recursive: true);
    }
    Console.WriteLine($"Load at the end: {Load()}.");
    return 0;
}
if (args.Length > 0 && args[0] == "install-race")
{
    string Arg(string name, string fallback)
    {
        var at = Array.IndexOf(args, name);
        return at > 0 && at + 1 < args.Length ? args[at + 1] : fallback;
    }
    Console.WriteLine($"# Exchange.ClusterBench {string.Join(' ', args)}: {Environment.ProcessorCount} CPUs, {Load()}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
    var raceRoot = Path.Combine(Path.GetTempPath(), "exchange-clusterbench-" + Guid.NewGuid().ToString("N"));
    try
    {
        return await InstallRace.RunAsync(raceRoot, int.Parse(Arg("--rounds", "2000")), int.Parse(Arg("--gap", "200")),
            int.Parse(Arg("--install-ms", "0")), wal, Array.IndexOf(args, "--commit") > 0, Array.IndexOf(args, "--flush-first") > 0);
    }
    finally
    {
        if (Directory.Exists(raceRoot))
            Directory.Delete(raceRoot, recursive: true);
    }
}
if (args.Length > 0 && args[0] == "stages")
{
    commands = 5_000;
    var stageWindow = 1;
    for (var i = 1; i + 1 < args.Length; i += 2)
    {
        if (args[i] == "--commands") commands = int.Parse(args[i + 1]);
        else if (args[i] == "--window") stageWindow = int.Parse(args[i + 1]);
    }
    Console.WriteLine($"# Exchange.ClusterBench {string.Join(' ', args)}: {Environment.ProcessorCount} CPUs, {Load()}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
    var stageRoot = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "exchange-clusterbench-" + Guid.NewGuid().ToString("N"))).FullName;
    try
    {
        var trace = new StageTrace();
        var followersAt = Array.IndexOf(args, "--followers-dir");
        string? followers = followersAt > 0 ? Directory.CreateDirectory(Path.Combine(args[followersAt + 1], Path.GetFileName(stageRoot))).FullName : null;
        await using var nodes = await Nodes.StartAsync(stageRoot, trace, wal, followers);
        var lead = await nodes.TakeOverAsync();
        trace.ListenToMeters(nodes.LeaderId);
        trace.Clear();
        Console.WriteLine("| journal | window | commands | throughput (cmd/s) | p50 µs | p99 µs | p99.9 µs | max µs | log entries |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        Run(raftName + ", traced", lead.Exchange, new StageTrace.Journal(lead.Journal, trace), stageWindow, lead.Journal);
        trace.Report(Console.Out, leaderFlush: wal == WalMemory.Private);
        if (followers is not null) Console.WriteLine($"(the followers' logs in {followers}, the leader's in {stageRoot})");
    }
    finally
    {
        Directory.Delete(stageRoot, recursive: true);
        var followersAt = Array.IndexOf(args, "--followers-dir");
        if (followersAt > 0) Directory.Delete(Path.Combine(args[followersAt + 1], Path.GetFileName(stageRoot)), recursive: true);
    }
    Console.WriteLine($"Load at the end: {Load()}.");
    return 0;
}
for (var i = 0; i + 1 < args.Length; i += 2)
{
    if (args[i] == "--commands") commands = int.Parse(args[i + 1]);
    else if (args[i] is "--wal" or "--producer") continue;
    else if (args[i] == "--windows") windows = args[i + 1].Split(',').Select(int.Parse).ToArray();
}

Console.WriteLine($"# Exchange.ClusterBench {string.Join(' ', args)}: {Environment.ProcessorCount} CPUs, {Load()}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
Console.WriteLine("| journal | window | commands | throughput (cmd/s) | p50 µs | p99 µs | p99.9 µs | max µs | log entries |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
var root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "exchange-clusterbench-" + Guid.NewGuid().ToString("N"))).FullName;
try
{
    foreach (var window in windows)
    {
        var file = new JournalWriter(new JournalOptions { Directory = Path.Combine(root, $"file-{window}"), Fsync = FsyncPolicy.EveryBatch });
        Run("file, fsync per batch", Nodes.Fresh(), file, window, null);
        file.Dispose();

        await using var nodes = await Nodes.StartAsync(Path.Combine(root, $"raft-{window}"), wal: wal);
        var lead = await nodes.TakeOverAsync();
        Run(raftName, lead.Exchange, lead.Journal, window, lead.Journal);
    }
}
finally
{
    Directory.Delete(root, recursive: true);
}
Console.WriteLine($"Load at the end: {Load()}.");
return 0;

void Run(string name, Exchange.Core.Exchange exchange, IJournal journal, int window, RaftJournal? raft)
{
    var acks = new AckLatency(commands);
    var flow = Flow(commands);
    var options = new PipelineOptions
    {
        JournalInstance = journal, Topology = PipelineTopology.SingleThread, WaitStrategy = WaitStrategyKind.Blocking,
        InputRingSize = 8192, OutputRingSize = 8192, ProducerType = ProducerType.Single,
    };
    var clock = Stopwatch.StartNew();
    using (var pipeline = new ExchangePipeline(exchange, options, acks))
    {
        pipeline.Start();
        for (var n = 1; n <= commands; n++)
        {
            var spin = new SpinWait();
            if (blockingProducer) acks.WaitForRoom(n - 1, window);
            else while (n - 1 - acks.Acknowledged >= window) spin.SpinOnce();
            acks.Published(n);
            while (!pipeline.TryPublish(in flow[n - 1], n, out _)) spin.SpinOnce();
        }
        var wait = new SpinWait();
        while (acks.Acknowledged < commands && pipeline.Fault is null) wait.SpinOnce();
        if (pipeline.Fault is not null) throw new InvalidOperationException("the pipeline failed", pipeline.Fault);
    }
    var seconds = clock.Elapsed.TotalSeconds;
    var h = acks.Histogram;
    double Us(double percentile) => h.GetValueAtPercentile(percentile) / 10.0;
    Console.WriteLine($"| {name} | {window} | {commands:N0} | {commands / seconds:N0} | {Us(50):F0} | {Us(99):F0} | {Us(99.9):F0} | " +
                      $"{h.GetMaxValue() / 10.0:F0} | {raft?.Entries.ToString("N0") ?? "-"} |");
}

// Deposits for 64 accounts and a mark, then limit orders around the mark that cross now and then, and cancels of all.
static Command[] Flow(int count)
{
    var random = new Random(15);
    var flow = new Command[count];
    for (var i = 0; i < count; i++)
    {
        flow[i] = i switch
        {
            0 => Command.Mark(0, 120_000),
            <= 64 => Command.DepositTo(i, 1_000_000_000_000),
            _ when i % 50 == 0 => Command.CancelAllOrders(1 + random.Next(64)),
            _ => Command.Limit(1 + random.Next(64), 0, random.Next(2) == 0 ? Side.Buy : Side.Sell,
                120_000 + random.Next(-20, 21), 1 + random.Next(20)),
        };
    }
    return flow;
}

static string Load()
{
    try { return "load average " + string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
    catch (IOException) { return "load average unknown"; }
}
