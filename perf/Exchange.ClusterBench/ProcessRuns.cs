using System.Diagnostics;
using Exchange.Client;
using Exchange.Client.Protocol;

namespace Exchange.ClusterBench;

/// <summary>
/// Runs against three real <c>exchange serve --cluster</c> processes: the failover time over many SIGKILLs of the
/// leader, and the CPU each node spends per command under a steady load.
/// </summary>
internal static class ProcessRuns
{
    private const long Money = 1_000_000_000_000;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Kills the leader <paramref name="kills"/> times under a steady flow of orders (alice, <paramref name="window"/>
    /// in flight) and reports, per kill, the time from the SIGKILL to the first order answered by the new leader, and
    /// to the login there; the dead node is restarted (and given time to catch up) before the next kill.
    /// </summary>
    /// <param name="trace">Print each kill's timeline: the nodes' log lines (their election steps, the take-over) and the
    /// client's steps (the lost connection, each connection tried and its answer, the pauses, the login), in ms from the
    /// kill.</param>
    public static async Task<int> FailoverAsync(int kills, int lower, int upper, int window, bool trace = false)
    {
        var root = Path.Combine(Path.GetTempPath(), "exchange-failover-" + Guid.NewGuid().ToString("N"));
        using var nodes = ServeNodes.Start(root, lower, upper, logged: trace);
        var steps = new System.Collections.Concurrent.ConcurrentQueue<(long At, string What)>();
        try
        {
            await SetUpAsync(nodes);
            // IOC buys far below the mark: each is answered (accepted, then canceled) and leaves nothing behind.
            var flow = new ResendingFlow(nodes.Addresses, "alice", "alice-pw",
                t => Inbound.NewOrder(t, 1, 0, 0, 0, 1, 0, 0, ServeNodes.Price - 1_000, 1), window)
            {
                Trace = trace ? what => steps.Enqueue((Stopwatch.GetTimestamp(), what)) : null,
            };
            using var stop = new CancellationTokenSource();
            var running = Task.Run(() => flow.RunAsync(stop.Token));
            var failover = new List<double>();
            var relogin = new List<double>();
            for (var kill = 0; kill < kills; kill++)
            {
                var before = flow.Answered;
                await Until(() => flow.Answered >= before + 200 || running.IsCompleted, "orders before the kill");
                var leader = await nodes.LeaderAsync(Wait);
                steps.Clear();
                nodes.Log.Clear();
                var killedAt = DateTime.UtcNow;
                var killed = Stopwatch.GetTimestamp();
                nodes.Kill(leader);
                (long At, long LoggedIn)? first = null;
                await Until(() => (first = flow.FirstAnswerAfter(killed)) is not null || running.IsCompleted, "an answer from the new leader");
                if (running.IsFaulted) await running;
                failover.Add(Stopwatch.GetElapsedTime(killed, first!.Value.At).TotalMilliseconds);
                relogin.Add(Stopwatch.GetElapsedTime(killed, first.Value.LoggedIn).TotalMilliseconds);
                Console.Error.WriteLine($"kill {kill + 1}: node {leader + 1}; first order answered by the new leader after {failover[^1]:F0} ms");
                if (trace)
                {
                    // Let the nodes' last lines of the take-over arrive.
                    await Task.Delay(100);
                    PrintTimeline(killedAt, killed, first.Value, steps, nodes.Log);
                }
                nodes.StartNode(leader);
                // Up, following, and past its catch-up before the next kill: two election timeouts.
                await Task.Delay(2 * upper);
            }
            await stop.CancelAsync();
            await running.WaitAsync(Wait);

            failover.Sort();
            relogin.Sort();
            Console.WriteLine($"| failover, {kills} SIGKILLs of the leader, election timeout {lower}-{upper} ms, window {window} | " +
                              $"p50 {Percentile(failover, 50):F0} ms | max {failover[^1]:F0} ms | min {failover[0]:F0} ms | " +
                              $"login at the new leader p50 {Percentile(relogin, 50):F0} ms |");
            Console.WriteLine("all (ms): " + string.Join(", ", failover.Select(f => f.ToString("F0"))));
            return 0;
        }
        finally
        {
            nodes.Dispose();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// Alice makes and bob takes, <paramref name="commands"/> orders in all with <paramref name="window"/> each in
    /// flight, through the leader's gateway; reports the throughput and the CPU time each node's process spent per
    /// command (the leader sequences, journals through Raft and applies; a follower stores and applies).
    /// </summary>
    public static async Task<int> CpuAsync(int commands, int window, int lower, int upper)
    {
        var root = Path.Combine(Path.GetTempPath(), "exchange-cpu-" + Guid.NewGuid().ToString("N"));
        using var nodes = ServeNodes.Start(root, lower, upper);
        try
        {
            await SetUpAsync(nodes);
            var leader = await nodes.LeaderAsync(Wait);
            var maker = new ResendingFlow(nodes.Addresses, "alice", "alice-pw", t => Inbound.NewOrder(t, 1, 0, (byte)(t % 2), 0, 0, 0, 0,
                ServeNodes.Price + (long)(t % 2), 1), window) { Limit = commands / 2 };
            var taker = new ResendingFlow(nodes.Addresses, "bob", "bob-pw", t => Inbound.NewOrder(t, 2, 0, (byte)(1 - t % 2), 0, 1, 0, 0,
                ServeNodes.Price + 1 - (long)(t % 2), 1), window) { Limit = commands / 2 };
            // A warm-up of the same flow (JIT, tiering), then the measured run.
            foreach (var measured in new[] { false, true })
            {
                var before = Enumerable.Range(0, 3).Select(nodes.Cpu).ToArray();
                var clock = Stopwatch.StartNew();
                var baseline = maker.Answered + taker.Answered;
                await Task.WhenAll(Task.Run(() => maker.RunAsync(CancellationToken.None)), Task.Run(() => taker.RunAsync(CancellationToken.None)))
                    .WaitAsync(TimeSpan.FromMinutes(10));
                var seconds = clock.Elapsed.TotalSeconds;
                var done = maker.Answered + taker.Answered - baseline;
                if (!measured)
                {
                    maker.Limit += commands / 2;
                    taker.Limit += commands / 2;
                    continue;
                }
                // The followers need a moment to apply the last entries.
                await Task.Delay(2000);
                var used = Enumerable.Range(0, 3).Select(i => (nodes.Cpu(i) - before[i]).TotalMicroseconds / done).ToArray();
                var followers = Enumerable.Range(0, 3).Where(i => i != leader).Select(i => used[i]).ToArray();
                Console.WriteLine($"| {done:N0} orders, window {window} per user (2 users) | {done / seconds:N0} orders/s | " +
                                  $"leader {used[leader]:F1} µs CPU/command | followers {followers[0]:F1}, {followers[1]:F1} µs CPU/command |");
            }
            return 0;
        }
        finally
        {
            nodes.Dispose();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task SetUpAsync(ServeNodes nodes)
    {
        await using (var admin = await ExchangeClient.LoginToLeaderAsync(nodes.Addresses, "admin", "admin-pw", 0, "", Wait))
        {
            for (var account = 1; account <= 2; account++)
            {
                var t = await admin.DepositAsync(account, Money);
                await admin.WaitForAsync(m => m.Token == t, Wait);
            }
        }
        await using var feed = await ExchangeClient.LoginToLeaderAsync(nodes.Addresses, "feed", "feed-pw", 0, "", Wait);
        var token = await feed.MarkAsync(0, ServeNodes.Price);
        await feed.WaitForAsync(m => m.Token == token, Wait);
    }

    private static void PrintTimeline(DateTime killedAt, long killed, (long At, long LoggedIn) first,
        IEnumerable<(long At, string What)> steps, IEnumerable<(int Node, string Line)> log)
    {
        var lines = new List<(double Ms, string Text)>();
        foreach (var (at, what) in steps)
            lines.Add((Stopwatch.GetElapsedTime(killed, at).TotalMilliseconds, "client: " + what));
        lines.Add((Stopwatch.GetElapsedTime(killed, first.LoggedIn).TotalMilliseconds, "client: (the login the first answer came on)"));
        lines.Add((Stopwatch.GetElapsedTime(killed, first.At).TotalMilliseconds, "client: first answer from the new leader"));
        foreach (var (node, line) in log)
        {
            // "HH:mm:ss.fff " (UTC) starts every line of the nodes' simple console log.
            if (line.Length < 13 || !TimeOnly.TryParseExact(line.AsSpan(0, 12), "HH:mm:ss.fff", out var time)) continue;
            var ms = (time - TimeOnly.FromDateTime(killedAt)).TotalMilliseconds;
            if (ms > 12 * 3600_000) ms -= 24 * 3600_000;
            if (ms < -50) continue;
            var text = line[13..];
            var cut = text.IndexOf(" at ", StringComparison.Ordinal);
            if (text.Contains("Exception", StringComparison.Ordinal) && cut > 0) text = text[..cut];
            lines.Add((ms, $"node {node + 1}: " + (text.Length > 200 ? text[..200] : text)));
        }
        lines.Sort((a, b) => a.Ms.CompareTo(b.Ms));
        foreach (var (ms, text) in lines)
            Console.Error.WriteLine($"  {ms,8:F1}  {text}");
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100 * sorted.Count) - 1)];

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no {what} within {Wait.TotalSeconds} s");
            await Task.Delay(5);
        }
    }
}
