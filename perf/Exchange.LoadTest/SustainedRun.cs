using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Exchange.Client.Protocol;

namespace Exchange.LoadTest;

/// <summary>
/// Mode <c>sustained</c>: does the server stay flat? Starts <c>exchange serve</c> in a child process with its own data
/// directory (journal, snapshots and retention as configured by default: a snapshot every 100,000 commands, 64 MiB
/// journal segments, fsync never), then drives N commands over TCP at a fixed rate in slices of
/// <c>--sample-every</c> commands, and after each slice, once every command of it is answered, samples the server:
/// resident set (<c>/proc/PID/status</c> VmRSS), managed heap and collections (its <c>gc-report</c> lines), and the
/// bytes of its journal and snapshot directories. Two phases:
/// <list type="bullet">
/// <item>traffic: the tcp mode's order flow (GTC orders that rest and are cancelled or moved, at most 256 resting per
/// account so the book stays bounded; IOC orders that trade against them), plus 1% deposits from the admin user and
/// 1% mark prices from the feed user (a walk of a few ticks around the mid);</item>
/// <item>flood: one trader with an unfunded account sends only orders that are rejected, half by the core (no
/// margin), half by the gateway (an invalid side: MALFORMED, journaled as a gateway reject), at the same rate.</item>
/// </list>
/// Prints a table per sample and whether RSS stayed within ±15% of its value at the end of the warm-up.
/// </summary>
internal sealed class SustainedRun(LoadTestOptions options, Report report)
{
    private const double Tolerance = 0.15;

    private sealed record Sample(string Phase, long Commands, long Rss, long Heap, GcCounts Gcs, long AllocatedPerCommand,
        long Journal, long Snapshots, long Other, double Achieved, double P99Ns, int Unanswered, double JournalBytesPerCommand);

    public int Failures { get; private set; }

    public void Run()
    {
        var total = options.Commands ?? 10_000_000L;
        var rate = options.RatesGiven ? options.Rates[0] : 100_000;
        var every = options.SampleEvery ?? (total >= 4_000_000 ? 1_000_000 : Math.Max(10_000, total / 4));
        var warmup = options.Warmup ?? Math.Min(4_000_000, every * Math.Max(1, total / every * 2 / 5));
        var flood = options.Flood ?? Math.Min(total, 2_000_000);
        var n = options.Connections;
        var floodTrader = n;

        Report.Note($"sustained: starting the server ({n} traders{(flood > 0 ? " + 1 flooding" : "")}) ...");
        using var server = GatewayProcess.Start(options.ServerDll, n + (flood > 0 ? 1 : 0), options.ServerWait, options.ServerTopology,
            config =>
            {
                var pipeline = config["pipeline"]!.AsObject();
                // The defaults of the embedded configuration, unless asked otherwise: retention is what is measured.
                pipeline.Remove("snapshotEveryCommands");
                if (options.SnapshotEvery is { } s) pipeline["snapshotEveryCommands"] = s;
                if (options.SegmentBytes is { } b) pipeline["journalSegmentBytes"] = b;
                foreach (var (path, value) in options.ServerSettings) Set(config, path, value);
            }, name: "exchange-loadtest-sustained-");
        Report.Note($"sustained: server pid {server.Pid} on 127.0.0.1:{server.Port}, data in {server.DataDirectory}");
        TcpRun.Setup(server.Port, n);

        var samples = new List<Sample>();
        var traders = new List<TcpSession>();
        TcpSession? admin = null, feed = null, flooder = null;
        try
        {
            for (var c = 0; c < n; c++)
            {
                var s = SoupWire.Connect(server.Port);
                SoupWire.Login(s, GatewayProcess.Trader(c), GatewayProcess.Password(c));
                traders.Add(new TcpSession(s, $"trader {c}"));
            }
            var a = SoupWire.Connect(server.Port);
            SoupWire.Login(a, "admin", "admin-pw");
            admin = new TcpSession(a, "admin");
            var f = SoupWire.Connect(server.Port);
            SoupWire.Login(f, "feed", "feed-pw");
            feed = new TcpSession(f, "feed");
            // Setup used admin tokens 1..n and feed token 1.
            var traffic = new SustainedTraffic(n, options.Seed, adminToken: (uint)n + 1, feedToken: 2);

            samples.Add(Take(server, "start", 0, default, 0, 0, 0, 0));
            long done = 0;
            while (done < total)
            {
                var count = (int)Math.Min(every, total - done);
                var slice = traffic.Next(count);
                var (achieved, p99, unanswered, gc, allocated) = Drive(server, slice, traders, admin, feed, rate);
                done += count;
                var sample = Take(server, "traffic", done, gc, allocated / count, achieved, p99, unanswered);
                samples.Add(sample);
                Print(sample);
                if (unanswered > 0) Failures++;
                if (server.Exited) throw new InvalidOperationException("the server exited: " + server.Errors);
            }

            if (options.GcDump) HeapDump(server, "traffic");
            if (flood > 0)
            {
                var s = SoupWire.Connect(server.Port);
                SoupWire.Login(s, GatewayProcess.Trader(floodTrader), GatewayProcess.Password(floodTrader));
                flooder = new TcpSession(s, "flood");
                var rejects = new RejectFlood((uint)floodTrader + 1);
                long flooded = 0;
                while (flooded < flood)
                {
                    var count = (int)Math.Min(every, flood - flooded);
                    var slice = rejects.Next(count);
                    var (achieved, p99, unanswered, gc, allocated) = Drive(server, slice, [flooder], null, null, rate);
                    flooded += count;
                    var sample = Take(server, "flood", done + flooded, gc, allocated / count, achieved, p99, unanswered);
                    samples.Add(sample);
                    Print(sample);
                    if (unanswered > 0) Failures++;
                    if (slice.Rejected != count) Report.Note($"  flood: {count - slice.Rejected:N0} of {count:N0} were not rejected");
                    if (server.Exited) throw new InvalidOperationException("the server exited: " + server.Errors);
                }
                if (options.GcDump) HeapDump(server, "flood");
            }
        }
        finally
        {
            foreach (var s in traders) s.Dispose();
            admin?.Dispose();
            feed?.Dispose();
            flooder?.Dispose();
        }
        Write(samples, total, rate, every, warmup, flood, n);
    }

    /// <summary>Sets <c>a.b.c</c> of the configuration to a number, true/false, or else a string.</summary>
    internal static void Set(System.Text.Json.Nodes.JsonObject config, string path, string value)
    {
        var keys = path.Split('.');
        var node = config;
        foreach (var key in keys[..^1])
        {
            if (node[key] is not System.Text.Json.Nodes.JsonObject child) node[key] = child = new System.Text.Json.Nodes.JsonObject();
            node = child;
        }
        node[keys[^1]] = long.TryParse(value, CultureInfo.InvariantCulture, out var number) ? number
            : bool.TryParse(value, out var flag) ? flag : value;
    }

    /// <summary>Sends one slice open-loop at <paramref name="rate"/> and waits (at most 30 s) for every trader command's answer.</summary>
    private static (double Achieved, double P99, int Unanswered, GcCounts Gc, long Allocated) Drive(GatewayProcess server,
        SustainedSlice slice, List<TcpSession> traders, TcpSession? admin, TcpSession? feed, long rate)
    {
        var frequency = Stopwatch.Frequency;
        var n = traders.Count;
        var total = slice.Source.Length;
        var start = Stopwatch.GetTimestamp() + frequency / 100;
        // Trader commands are planned at the slice's rate of trader commands (deposits and marks are 2% of the slice),
        // so a latency is from within a command or two of its planned send time.
        var traderRate = Math.Max(1, rate * slice.TraderCommands / total);
        var steps = new SessionStep[n];
        for (var c = 0; c < n; c++)
        {
            steps[c] = new SessionStep(c, n, slice.Traders.FirstToken[c], slice.Traders.Count(c), start, traderRate);
            traders[c].Step = steps[c];
        }
        var sockets = new Socket?[n + 2];
        for (var c = 0; c < n; c++) sockets[c] = traders[c].Socket;
        sockets[n] = admin?.Socket;
        sockets[n + 1] = feed?.Socket;
        var bytes = new byte[n + 2][];
        var offsets = new int[n + 2][];
        for (var c = 0; c < n; c++)
        {
            bytes[c] = slice.Traders.Bytes[c];
            offsets[c] = slice.Traders.Offsets[c];
        }
        (bytes[n], offsets[n]) = (slice.AdminBytes, slice.AdminOffsets);
        (bytes[n + 1], offsets[n + 1]) = (slice.FeedBytes, slice.FeedOffsets);
        var next = new int[n + 2];
        var end = new int[n + 2];
        var before = server.Gc;
        long sent = 0;
        while (Stopwatch.GetTimestamp() < start) Thread.Yield();
        while (sent < total)
        {
            var due = Math.Min(total, (Stopwatch.GetTimestamp() - start) * rate / frequency + 1);
            if (due <= sent)
            {
                Thread.Yield();
                continue;
            }
            for (var i = sent; i < due; i++) end[slice.Source[i]]++;
            for (var c = 0; c < n + 2; c++)
            {
                if (end[c] == next[c]) continue;
                var o = offsets[c];
                sockets[c]!.Send(bytes[c], o[next[c]], o[end[c]] - o[next[c]], SocketFlags.None);
                next[c] = end[c];
            }
            sent = due;
        }
        var lastSend = Stopwatch.GetTimestamp();
        while (steps.Sum(s => Volatile.Read(ref s.Received)) < slice.TraderCommands && Stopwatch.GetTimestamp() - lastSend < 30 * frequency)
            Thread.Sleep(1);
        foreach (var t in traders) t.Step = null;
        // Admin and feed answers are not counted; give them the time a report takes, then read the server's report.
        Thread.Sleep(250);
        var after = server.Gc;
        var histogram = HistogramFiles.NewNanoseconds();
        foreach (var s in steps) histogram.Add(s.Histogram);
        var responded = steps.Sum(s => s.Received);
        var last = steps.Max(s => s.LastResponse);
        var achieved = last > start ? total / ((last - start) / (double)frequency) : 0;
        slice.Rejected = steps.Sum(s => s.Rejected);
        return (achieved, histogram.GetValueAtPercentile(99), slice.TraderCommands - responded, after.Counts - before.Counts,
            after.Allocated - before.Allocated);
    }

    private static Sample Take(GatewayProcess server, string phase, long commands, GcCounts gcs, long allocatedPerCommand,
        double achieved, double p99, int unanswered)
    {
        var journal = server.JournalDirectory;
        long journalBytes = 0, snapshots = 0, other = 0;
        foreach (var file in new DirectoryInfo(server.DataDirectory).EnumerateFiles("*", SearchOption.AllDirectories))
        {
            long length;
            try { length = file.Length; }
            catch (FileNotFoundException) { continue; } // removed by retention while we looked
            var dir = file.DirectoryName ?? "";
            if (dir == journal) journalBytes += length;
            else if (dir == Path.Combine(journal, "snapshots")) snapshots += length;
            // The configuration file, and whatever else the server keeps (its persisted streams, under journal/streams).
            else other += length;
        }
        return new Sample(phase, commands, Rss(server.Pid), server.Gc.Heap, gcs, allocatedPerCommand, journalBytes, snapshots, other,
            achieved, p99, unanswered, JournalBytesPerCommand(journal));
    }

    /// <summary>
    /// Bytes the journal takes per command: the closed files' bytes over the sequences they span (a file is named after
    /// its first command's sequence, journal-NNNNNNNNNNNN.log); 0 while there is only one file.
    /// </summary>
    private static double JournalBytesPerCommand(string journal)
    {
        var files = new List<(long First, long Length)>();
        foreach (var file in new DirectoryInfo(journal).EnumerateFiles("journal-*.log"))
        {
            try
            {
                if (long.TryParse(file.Name.AsSpan(8, file.Name.Length - 12), NumberStyles.None, CultureInfo.InvariantCulture, out var first))
                    files.Add((first, file.Length));
            }
            catch (FileNotFoundException) { }
        }
        if (files.Count < 2) return 0;
        files.Sort();
        long bytes = 0;
        for (var i = 0; i < files.Count - 1; i++) bytes += files[i].Length;
        return bytes / (double)(files[^1].First - files[0].First);
    }

    /// <summary>
    /// <c>dotnet gcdump collect</c> of the server (a full, blocking collection: it shows what is live, not garbage) into
    /// the output directory, and the report's largest types on stderr.
    /// </summary>
    private void HeapDump(GatewayProcess server, string phase)
    {
        var file = Path.Combine(Path.GetFullPath(options.OutputDirectory), $"sustained-{phase}.gcdump");
        Report.Note($"sustained: heap dump of the server after the {phase} phase to {file} ...");
        var collect = Tool("collect", "-p", server.Pid.ToString(CultureInfo.InvariantCulture), "-o", file);
        if (collect is null) return;
        var lines = (Tool("report", file) ?? "").Split('\n');
        foreach (var line in lines.Take(25)) Report.Note("  " + line);
    }

    private static string? Tool(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // The tool manifest (dotnet-tools.json) is at the repository's root.
        info.WorkingDirectory = RepositoryRoot();
        info.ArgumentList.Add("gcdump");
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var output = p.StandardOutput.ReadToEnd();
        var errors = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode == 0) return output;
        Report.Note($"  dotnet gcdump {args[0]} failed ({p.ExitCode}; run `dotnet tool restore` in the repository): {errors.Trim()}");
        return null;
    }

    private static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Exchange.sln"))) return d.FullName;
        return Directory.GetCurrentDirectory();
    }

    /// <summary>The resident set of process <paramref name="pid"/> in bytes (VmRSS of /proc/PID/status).</summary>
    internal static long Rss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
        throw new InvalidOperationException($"no VmRSS for process {pid}");
    }

    private static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:F1}");

    private static void Print(Sample s) => Report.Note(
        $"  {s.Phase} {s.Commands:N0}: RSS {Mib(s.Rss)} MiB, heap {Mib(s.Heap)} MiB, GC {s.Gcs}, journal {Mib(s.Journal)} MiB, " +
        $"snapshots {Mib(s.Snapshots)} MiB, other {Mib(s.Other)} MiB, {Units.Rate(s.Achieved)}, p99 {Units.Latency(s.P99Ns)}" +
        (s.Unanswered > 0 ? $", {s.Unanswered:N0} UNANSWERED" : ""));

    private void Write(List<Sample> samples, long total, long rate, long every, long warmup, long flood, int n)
    {
        report.Line($"### Sustained load: {total:N0} commands at {Units.Rate(rate)}, then {flood:N0} rejected orders");
        report.Line();
        report.Line($"`exchange serve` in a child process (pid, own data directory, default retention: snapshots every " +
                    $"{(options.SnapshotEvery is { } every2 ? every2.ToString("N0", CultureInfo.InvariantCulture) : "100,000 (default)")} commands, " +
                    $"journal segments of {(options.SegmentBytes is { } b ? Mib(b) + " MiB" : "64 MiB (default)")}, fsync never, wait strategy " +
                    $"{options.ServerWait}, topology {options.ServerTopology}). {n} traders: 45% GTC resting 1-50 ticks off the mid, 5% IOC " +
                    "through it, 25% cancels, 25% moves, at most 256 resting per account; plus 1% deposits (admin) and 1% marks (feed). " +
                    "Flood: one unfunded trader, half core rejects (no margin), half gateway rejects (MALFORMED). A sample after " +
                    $"every {every:N0} commands, once the slice is answered. Warm-up: {warmup:N0} commands.");
        report.Line();
        report.Line("| phase | commands | RSS MiB | managed heap MiB | GC 0/1/2 in slice | allocated B/command | journal MiB | journal B/command | snapshots MiB | other files MiB | achieved | p99 |");
        report.Line("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var s in samples)
            report.Line($"| {s.Phase} | {s.Commands:N0} | {Mib(s.Rss)} | {Mib(s.Heap)} | {s.Gcs} | {s.AllocatedPerCommand:N0} | {Mib(s.Journal)} | " +
                        $"{(s.JournalBytesPerCommand > 0 ? s.JournalBytesPerCommand.ToString("F0", CultureInfo.InvariantCulture) : "–")} | {Mib(s.Snapshots)} | {Mib(s.Other)} | {(s.Achieved > 0 ? Units.Rate(s.Achieved) : "–")} | {(s.P99Ns > 0 ? Units.Latency(s.P99Ns) : "–")} |");
        report.Line();

        var reference = samples.FirstOrDefault(s => s.Phase == "traffic" && s.Commands >= warmup);
        if (reference is null)
        {
            report.Line("- Too short for a verdict: no sample after the warm-up.");
            return;
        }
        foreach (var phase in new[] { "traffic", "flood" })
        {
            var after = samples.Where(s => s.Phase == phase && s.Commands >= reference.Commands).ToList();
            if (after.Count == 0) continue;
            var min = after.Min(s => s.Rss);
            var max = after.Max(s => s.Rss);
            var flat = max <= reference.Rss * (1 + Tolerance) && min >= reference.Rss * (1 - Tolerance);
            var last = after[^1];
            var perMillion = last.Commands > reference.Commands
                ? (last.Rss - reference.Rss) * 1e6 / (last.Commands - reference.Commands) : 0;
            var disk = after.Select(s => s.Journal + s.Snapshots + s.Other).ToList();
            var diskPerMillion = last.Commands > reference.Commands
                ? (disk[^1] - (reference.Journal + reference.Snapshots + reference.Other)) * 1e6 / (last.Commands - reference.Commands) : 0;
            report.Line($"- {phase}: RSS {Mib(min)}–{Mib(max)} MiB against {Mib(reference.Rss)} MiB at {reference.Commands:N0} commands: " +
                        $"**{(flat ? "within" : "NOT within")} ±15%**; {Mib((long)perMillion)} MiB per million commands from there. " +
                        $"Data directory {Mib(disk.Min())}–{Mib(disk.Max())} MiB, {Mib((long)diskPerMillion)} MiB per million commands.");
            if (!flat) Failures++;
        }
        var gen2 = samples.Where(s => s.Commands >= reference.Commands).Sum(s => s.Gcs.Gen2);
        report.Line($"- Server gen2 collections after the warm-up: {gen2}.");
        report.Line();
    }
}

/// <summary>One slice of the sustained traffic, pre-encoded, and the order its commands are sent in.</summary>
internal sealed class SustainedSlice
{
    public required TcpTraffic Traders { get; init; }
    public required int TraderCommands { get; init; }
    public required byte[] AdminBytes { get; init; }
    public required int[] AdminOffsets { get; init; }
    public required byte[] FeedBytes { get; init; }
    public required int[] FeedOffsets { get; init; }
    /// <summary>Command i of the slice goes to connection Source[i]: traders 0..n−1, n the admin, n+1 the feed.</summary>
    public required byte[] Source { get; init; }
    /// <summary>Trader commands answered with a reject (set once the slice is driven).</summary>
    public long Rejected { get; set; }
}

/// <summary>The sustained traffic: the tcp mode's order flow, one deposit and one mark in every 100 commands.</summary>
internal sealed class SustainedTraffic(int traders, int seed, uint adminToken, uint feedToken)
{
    private readonly TcpGenerator _orders = new(traders, seed);
    private readonly Random _random = new(seed);
    private uint _adminToken = adminToken;
    private uint _feedToken = feedToken;
    private long _mark = TcpGenerator.Mid;

    public SustainedSlice Next(int count)
    {
        var source = new byte[count];
        int deposits = 0, marks = 0, orders = 0;
        for (var i = 0; i < count; i++)
        {
            if (i % 100 == 50) { source[i] = (byte)traders; deposits++; }
            else if (i % 100 == 99) { source[i] = (byte)(traders + 1); marks++; }
            else source[i] = (byte)(orders++ % traders);
        }
        var admin = new byte[deposits * (3 + Inbound.DepositLength)];
        var adminOffsets = new int[deposits + 1];
        for (var k = 0; k < deposits; k++)
        {
            adminOffsets[k] = k * (3 + Inbound.DepositLength);
            // One USD to a trader: a top-up, never a withdrawal, so every account stays able to trade.
            SoupWire.Packet(Inbound.DepositTo(_adminToken++, (uint)(1 + _random.Next(traders)), 1_000_000)).CopyTo(admin, adminOffsets[k]);
        }
        adminOffsets[deposits] = admin.Length;
        var feed = new byte[marks * (3 + Inbound.SetMarkLength)];
        var feedOffsets = new int[marks + 1];
        for (var k = 0; k < marks; k++)
        {
            feedOffsets[k] = k * (3 + Inbound.SetMarkLength);
            // A walk of one tick at a time, held within 10 ticks of the mid: marks move, nobody is liquidated.
            _mark = Math.Clamp(_mark + _random.Next(-1, 2), TcpGenerator.Mid - 10, TcpGenerator.Mid + 10);
            SoupWire.Packet(Inbound.Mark(_feedToken++, 0, _mark)).CopyTo(feed, feedOffsets[k]);
        }
        feedOffsets[marks] = feed.Length;
        return new SustainedSlice
        {
            Traders = _orders.Generate(orders), TraderCommands = orders, AdminBytes = admin, AdminOffsets = adminOffsets,
            FeedBytes = feed, FeedOffsets = feedOffsets, Source = source,
        };
    }
}

/// <summary>Orders that are all rejected, from one trader whose account holds nothing: alternately no margin (the core
/// rejects) and an invalid side (the gateway rejects as MALFORMED, before the token rules).</summary>
internal sealed class RejectFlood(uint account)
{
    private uint _token = 1;

    public SustainedSlice Next(int count)
    {
        var bytes = new byte[count * SoupWire.EnterOrderFrame];
        var offsets = new int[count + 1];
        for (var k = 0; k < count; k++)
        {
            offsets[k] = k * SoupWire.EnterOrderFrame;
            SoupWire.EnterOrder(bytes, offsets[k], _token++, account, 0, k % 2 == 0 ? (byte)0 : (byte)7, 0, TcpGenerator.Mid - 1, 1);
        }
        offsets[count] = bytes.Length;
        var traffic = new TcpTraffic { Bytes = [bytes], Offsets = [offsets], FirstToken = [_token - (uint)count], Total = count, PerKind = new long[CommandKinds.Count] };
        return new SustainedSlice
        {
            Traders = traffic, TraderCommands = count, AdminBytes = [], AdminOffsets = [0], FeedBytes = [], FeedOffsets = [0],
            Source = new byte[count],
        };
    }
}
