using System.Diagnostics;
using Exchange.Client.Protocol;
using Exchange.Gateway.Protocol;
using HdrHistogram;

namespace Exchange.LoadTest;

/// <summary>
/// Mode (c), tcp: end to end over loopback. Starts <c>exchange serve</c> in a child process, funds the accounts and
/// sets the mark through the admin and feed users, logs in N traders, and at each rate injects the
/// <see cref="TcpGenerator"/> flow open-loop from one pacing thread (all commands due are sent at once, one send per
/// connection), timing each command from its planned send time to its first response. Before each gateway step the
/// same traffic shape at the same rate goes to an in-process <see cref="EchoServer"/> over the same number of
/// connections: the bare loopback round trip the gateway is compared with. The server is killed at the end.
/// </summary>
internal sealed class TcpRun(LoadTestOptions options, Report report, string outputDirectory)
{
    private sealed record StepResult(string Target, long Rate, int Commands, int Responded, double Achieved, LongHistogram Latency,
        GcCounts Gcs, long Rejected, long RateLimited, long MaxLagNs, string RejectCodes, ServerGc? ServerGcs)
    {
        /// <summary>Each command's send lag: the pacing thread's send call against its planned time (the client's own share
        /// of every latency, the same kind of figure for the echo and the gateway).</summary>
        public LongHistogram? SendLag { get; init; }

        /// <summary>The server's CPU time in the window (gateway steps only).</summary>
        public ServerCpu? ServerCpu { get; init; }

        /// <summary>The load generator's CPU time in the window (pacing thread, the target's receivers) and, for an echo
        /// step, the echo server's threads.</summary>
        public ClientCpu ClientCpu { get; init; }
    }

    public int Failures { get; private set; }

    public void Run()
    {
        var n = options.Connections;
        var rates = options.TcpRates;
        Report.Note($"tcp: starting the server ({n} traders) ...");
        using var server = GatewayProcess.Start(options.ServerDll, n, options.ServerWait, options.ServerTopology,
            config => { foreach (var (path, value) in options.ServerSettings) SustainedRun.Set(config, path, value); });
        Report.Note($"tcp: server on 127.0.0.1:{server.Port} ({server.Dll})");
        Setup(server.Port, n);

        var gateway = new List<TcpSession>();
        var echo = new List<TcpSession>();
        using var echoServer = new EchoServer();
        var results = new List<StepResult>();
        try
        {
            for (var c = 0; c < n; c++)
            {
                var s = SoupWire.Connect(server.Port);
                SoupWire.Login(s, GatewayProcess.Trader(c), GatewayProcess.Password(c));
                gateway.Add(new TcpSession(s, $"gw recv {c}"));
                echo.Add(new TcpSession(SoupWire.Connect(echoServer.Port), $"echo recv {c}"));
            }
            var generator = new TcpGenerator(n, options.Seed);
            var echoGenerator = new TcpGenerator(n, options.Seed);

            Report.Note("tcp: warm-up (1 s at the first rate, both targets) ...");
            Step("echo", echo, echoGenerator.Generate((int)rates[0]), rates[0], null);
            Step("gateway", gateway, generator.Generate((int)rates[0]), rates[0], server);
            WarmUpServer(gateway, generator, rates.Max(), server);

            foreach (var rate in rates)
            {
                var count = (int)Math.Min(int.MaxValue / 2, rate * options.Seconds);
                foreach (var (target, sessions, gen) in new[] { ("echo", echo, echoGenerator), ("gateway", gateway, generator) })
                {
                    var traffic = gen.Generate(count);
                    Report.Note($"tcp: {target} at {Units.Rate(rate)} x {count:N0} commands ...");
                    var r = Step(target, sessions, traffic, rate, target == "gateway" ? server : null);
                    results.Add(r);
                    Report.Note($"  p50 {Units.Latency(r.Latency.GetValueAtPercentile(50))}, p99.9 {Units.Latency(r.Latency.GetValueAtPercentile(99.9))}, " +
                                $"max {Units.Latency(r.Latency.GetMaxValue())}, achieved {Units.Rate(r.Achieved)}, responded {r.Responded:N0}/{r.Commands:N0}");
                    if (server.Exited) throw new InvalidOperationException("the server exited: " + server.Errors);
                    if (r.Responded < r.Commands) Failures++;
                }
            }
        }
        catch (ConnectionClosedException e)
        {
            // Not a crash: the server (or the echo) closed a connection the run was sending on, which ends the run.
            Report.Note("tcp: " + e.Message);
            report.Line($"**Run stopped: {e.Message}**");
            report.Line();
            Failures++;
        }
        finally
        {
            foreach (var s in gateway) s.Dispose();
            foreach (var s in echo) s.Dispose();
        }
        Write(results, n);
    }

    /// <summary>A send failed because the other side closed the connection: which one, when, and why if the gateway said.</summary>
    private sealed class ConnectionClosedException(string target, int connection, long due, long total, string error, string? said,
        GatewayProcess? server) : Exception(
        $"the {target} closed connection {connection} after {due:N0} of {total:N0} commands of a step were due ({error}); " +
        (said is not null ? $"its reason (its Debug packet): \"{said}\"" : "it sent no reason") +
        (server is null ? "" : ServerCloses(server)) +
        ". A server that falls behind answers RATE_LIMITED and never closes for it: a close is a failure to look into " +
        "(the server's log lines above the table, `serve --verbose`).");

    private static string ServerCloses(GatewayProcess server)
    {
        var lines = server.Errors.Split('\n').Where(l => l.Contains(" closed: ", StringComparison.Ordinal)).TakeLast(5).ToArray();
        return lines.Length == 0 ? "" : "; the server logged: " + string.Join(" | ", lines.Select(l => l.Trim()));
    }

    /// <summary>Per command, what the server may allocate in a warm-up slice for its one-off growth to count as done.</summary>
    private const long WarmedUpBytesPerCommand = 1;

    /// <summary>
    /// The server's one-off growth happens before the measured windows: each stream's retention window and its index
    /// fill up to their bounds (64 KiB segments, index arrays doubling; docs/benchmarks.md), then are reused. Runs 2 s
    /// slices at <paramref name="rate"/> until one allocates under <see cref="WarmedUpBytesPerCommand"/> per command,
    /// or <see cref="LoadTestOptions.WarmupMaxSeconds"/> have been spent; says which.
    /// </summary>
    private void WarmUpServer(List<TcpSession> gateway, TcpGenerator generator, long rate, GatewayProcess server)
    {
        if (options.WarmupMaxSeconds <= 0) return;
        var started = Stopwatch.GetTimestamp();
        long commands = 0;
        for (var slice = 1; ; slice++)
        {
            var r = Step("gateway", gateway, generator.Generate((int)Math.Min(int.MaxValue / 2, 2 * rate)), rate, server);
            if (server.Exited) throw new InvalidOperationException("the server exited: " + server.Errors);
            commands += r.Commands;
            var perCommand = r.ServerGcs is { } g ? g.Allocated / Math.Max(1, r.Commands) : 0;
            var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
            Report.Note($"tcp: warm-up slice {slice} at {Units.Rate(rate)}: {r.Commands:N0} commands, server {perCommand:N0} B per command, " +
                        $"GC {r.ServerGcs?.Counts}, CPU µs per command {r.ServerCpu?.PerCommand(r.Commands)}, p50 {Units.Latency(r.Latency.GetValueAtPercentile(50))}");
            var done = perCommand < WarmedUpBytesPerCommand;
            if (done || elapsed >= options.WarmupMaxSeconds)
            {
                _warmUp = $"{commands:N0} commands at {Units.Rate(rate)} in {elapsed:F0} s" + (done
                    ? $"; its last slice allocated {perCommand:N0} B per command"
                    : $", stopped by --warmup-max-seconds: its last slice still allocated {perCommand:N0} B per command (NOT warmed up)");
                CancelAll(gateway, generator);
                return;
            }
        }
    }

    /// <summary>
    /// After the warm-up, each trader cancels all its orders and the generator forgets what it believed resting: a
    /// long warm-up (with commands rate-limited when the server falls behind) leaves orders the generator thinks it
    /// cancelled and the other way round, which would make the measured steps mostly TOO_MANY_OPEN_ORDERS and
    /// UNKNOWN_ORDER rejects. The measured steps then start from an empty book, as without the warm-up.
    /// </summary>
    private static void CancelAll(List<TcpSession> gateway, TcpGenerator generator)
    {
        for (var c = 0; c < gateway.Count; c++)
            gateway[c].Socket.Send(SoupWire.Packet(Inbound.CancelAllOrders(generator.TakeToken(c), (uint)(c + 1))));
        generator.ForgetLive();
        // The server is idle but for these: a cancel-all of a few thousand orders takes milliseconds.
        Thread.Sleep(2_000);
    }

    // What the server's warm-up took (for the report); null when it was off.
    private string? _warmUp;

    /// <summary>Deposits 1,000,000 USD into each trader's account (admin) and sets BTC-PERP's mark to 60,000 USD (feed).</summary>
    internal static void Setup(int port, int traders)
    {
        using (var admin = SoupWire.Connect(port))
        {
            SoupWire.Login(admin, "admin", "admin-pw");
            for (var c = 0; c < traders; c++)
            {
                var token = (uint)(c + 1);
                var reply = SoupWire.Call(admin, SoupWire.Packet(Inbound.DepositTo(token, (uint)(c + 1), 1_000_000_000_000)), token);
                if (reply[0] != (byte)'T') throw new InvalidOperationException($"deposit to account {c + 1} refused (reject code {reply[14]})");
            }
        }
        using var feed = SoupWire.Connect(port);
        SoupWire.Login(feed, "feed", "feed-pw");
        var mark = SoupWire.Call(feed, SoupWire.Packet(Inbound.Mark(1, 0, TcpGenerator.Mid)), 1);
        if (mark[0] != (byte)'M') throw new InvalidOperationException($"mark refused (reject code {mark[14]})");
    }

    /// <param name="server">The gateway whose collections to count in the window; null for the echo.</param>
    private StepResult Step(string target, List<TcpSession> sessions, TcpTraffic traffic, long rate, GatewayProcess? server)
    {
        var n = sessions.Count;
        var frequency = Stopwatch.Frequency;
        GcCounts.Settle();
        var start = Stopwatch.GetTimestamp() + frequency / 20;
        var steps = new SessionStep[n];
        for (var c = 0; c < n; c++)
        {
            steps[c] = new SessionStep(c, n, traffic.FirstToken[c], traffic.Count(c), start, rate);
            sessions[c].Step = steps[c];
        }
        var sockets = sessions.Select(s => s.Socket).ToArray();
        var next = new int[n];
        var total = traffic.Total;
        var gc = GcCounts.Now();
        // The server's report is at most 100 ms old, and it is idle before the window: nothing is missed or added.
        var serverGc = server?.Gc;
        var serverCpu = server is null ? null : ServerCpu.Threads(server.Pid);
        var receivers = target == "gateway" ? "gw recv" : "echo recv";
        var clientCpu = ClientCpu.Read(receivers);
        long sent = 0, maxLag = 0;
        var sendLag = HistogramFiles.NewNanoseconds();
        while (Stopwatch.GetTimestamp() < start) Thread.Yield();
        while (sent < total)
        {
            var now = Stopwatch.GetTimestamp();
            var due = Math.Min(total, (now - start) * rate / frequency + 1);
            if (due <= sent)
            {
                // Yield, never spin: two cores are shared with the server (see PacedProducer).
                Thread.Yield();
                continue;
            }
            maxLag = Math.Max(maxLag, now - (start + sent * frequency / rate));
            for (var i = sent; i < due; i++)
                sendLag.RecordValue(Math.Clamp(Units.Nanoseconds(now - (start + i * frequency / rate)), 0, sendLag.HighestTrackableValue));
            for (var c = 0; c < n; c++)
            {
                var end = (int)((due - c + n - 1) / n);
                if (end <= next[c]) continue;
                var offsets = traffic.Offsets[c];
                try
                {
                    sockets[c].Send(traffic.Bytes[c], offsets[next[c]], offsets[end] - offsets[next[c]], System.Net.Sockets.SocketFlags.None);
                }
                catch (System.Net.Sockets.SocketException e)
                {
                    foreach (var s in sessions) s.Step = null;
                    throw new ConnectionClosedException(target, c, due, total, e.Message, sessions[c].ServerSaid, server);
                }
                next[c] = end;
            }
            sent = due;
        }
        var lastSend = Stopwatch.GetTimestamp();
        // Wait for every outcome, at most 10 s after the last send.
        while (steps.Sum(s => Volatile.Read(ref s.Received)) < total && Stopwatch.GetTimestamp() - lastSend < 10 * frequency)
            Thread.Sleep(1);
        var gcs = GcCounts.Now() - gc;
        // Per thread: a pool thread that exits in the window no longer takes its earlier CPU time out of the sum.
        var cpu = server is null ? (ServerCpu?)null : ServerCpu.Sum(ServerCpu.Threads(server.Pid), serverCpu);
        var client = ClientCpu.Read(receivers) - clientCpu;
        foreach (var s in sessions) s.Step = null;
        Thread.Sleep(5);
        ServerGc? serverGcs = null;
        if (server is not null)
        {
            // A report taken after the last response (they come every 100 ms).
            Thread.Sleep(250);
            serverGcs = server.Gc - serverGc!.Value;
        }

        var histogram = HistogramFiles.NewNanoseconds();
        foreach (var s in steps) histogram.Add(s.Histogram);
        var responded = steps.Sum(s => s.Received);
        var last = steps.Max(s => s.LastResponse);
        var achieved = last > start ? responded / ((last - start) / (double)frequency) : 0;
        return new StepResult(target, rate, total, responded, achieved, histogram, gcs,
            steps.Sum(s => s.Rejected), steps.Sum(s => s.RateLimited), Units.Nanoseconds(maxLag),
            string.Join(", ", Enumerable.Range(0, 256).Select(code => (code, count: steps.Sum(s => s.RejectCodes[code]))).Where(x => x.count > 0)
                .Select(x => $"{Exchange.Core.Events.RejectCodeNames.Name((Exchange.Core.Events.RejectCode)x.code)} {x.count:N0}")), serverGcs)
        {
            ServerCpu = cpu,
            ClientCpu = client,
            SendLag = sendLag,
        };
    }

    private void Write(List<StepResult> results, int n)
    {
        report.Line($"### TCP end to end: gateway (child process) vs bare loopback echo, {n} connections");
        report.Line();
        report.Line($"{options.Seconds} s per rate and target, one pacing thread sending every command due (one send per connection " +
                    "per wake-up); latency from each command's planned send time to the receive that brought its first response " +
                    "(Accepted / Rejected / Replaced / Canceled) on its session. Flow: place/cancel/move mix (45% GTC, 5% IOC, " +
                    "25% cancel, 25% move) on BTC-PERP. Server: `exchange serve`, journal in a temp dir with fsync never, wait " +
                    $"strategy {options.ServerWait}, topology {options.ServerTopology}, rate limits off. Echo: in-process, one thread per connection, replies of the outcome's size. " +
                    (_warmUp is null ? "Server warm-up: 1 s at the first rate." : $"Server warm-up, after 1 s at the first rate: {_warmUp}."));
        report.Line();
        report.Line("| target | rate | commands | responded | achieved | p50 | p90 | p99 | p99.9 | max | rejected | send lag p50 / max | client GC 0/1/2 | server GC 0/1/2 | server allocated per command | server CPU per command, µs: all (pipeline / sockets / pool / other), or the echo's threads | load generator CPU per command, µs: all (pacing / receivers) |");
        report.Line("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var series = new List<(string, HistogramBase)>();
        foreach (var r in results)
        {
            var h = r.Latency;
            report.Line($"| {r.Target} | {Units.Rate(r.Rate)} | {r.Commands:N0} | {r.Responded:N0} | {Units.Rate(r.Achieved)} | " +
                        $"{Units.Latency(h.GetValueAtPercentile(50))} | {Units.Latency(h.GetValueAtPercentile(90))} | " +
                        $"{Units.Latency(h.GetValueAtPercentile(99))} | {Units.Latency(h.GetValueAtPercentile(99.9))} | " +
                        $"{Units.Latency(h.GetMaxValue())} | {r.Rejected:N0}{(r.RateLimited > 0 ? $" ({r.RateLimited:N0} rate-limited)" : "")} | " +
                        $"{(r.SendLag is { } lag ? Units.Latency(lag.GetValueAtPercentile(50)) + " / " : "")}{Units.Latency(r.MaxLagNs)} | {r.Gcs} | {(r.ServerGcs is { } g ? g.Counts.ToString() : "–")} | " +
                        $"{(r.ServerGcs is { } a ? $"{a.Allocated / Math.Max(1, r.Commands):N0} B" : "–")} | " +
                        $"{(r.ServerCpu is { } c ? c.PerCommand(r.Commands) : r.ClientCpu.EchoPerCommand(r.Commands) + " (echo)")} | " +
                        $"{r.ClientCpu.LoadPerCommand(r.Commands)} |");
            var name = $"tcp-{r.Target}-{Units.Short(r.Rate)}";
            HistogramFiles.WriteHgrm(outputDirectory, name, h);
            HistogramFiles.WritePlotData(outputDirectory, name, h);
            series.Add(($"{r.Target} {Units.Rate(r.Rate)}", h));
        }
        report.Line();
        foreach (var rate in results.Select(r => r.Rate).Distinct())
        {
            var e = results.FirstOrDefault(r => r.Rate == rate && r.Target == "echo");
            var g = results.FirstOrDefault(r => r.Rate == rate && r.Target == "gateway");
            if (e is null || g is null) continue;
            var p50 = g.Latency.GetValueAtPercentile(50) / (double)Math.Max(1, e.Latency.GetValueAtPercentile(50));
            var p999 = g.Latency.GetValueAtPercentile(99.9);
            report.Line($"- {Units.Rate(rate)}: gateway p50 = **{p50:F2}x** bare loopback ({(p50 <= 1.5 ? "within" : "NOT within")} 1.5x); " +
                        $"gateway p99.9 {Units.Latency(p999)} ({(p999 < 1_000_000 ? "under" : "NOT under")} 1 ms).");
        }
        var codes = results.Where(r => r.Target == "gateway" && r.RejectCodes.Length > 0).Select(r => $"{Units.Rate(r.Rate)}: {r.RejectCodes}").ToList();
        if (codes.Count > 0)
            report.Line("- Gateway rejects by code (cancels and moves of orders that had already traded away): " + string.Join("; ", codes) + ".");
        report.Line("- " + PercentilePlot.Write(outputDirectory, "tcp-latency", "TCP end to end: gateway vs loopback echo, from planned send time", series));
        report.Line();
    }
}
