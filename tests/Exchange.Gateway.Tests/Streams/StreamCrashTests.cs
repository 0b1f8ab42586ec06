using System.Diagnostics;
using System.Text.RegularExpressions;
using Exchange.Client;
using Exchange.Client.Protocol;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Hosting;
using Exchange.Gateway.Tests.Support;
using static Exchange.Gateway.Tests.Support.TestServer;

namespace Exchange.Gateway.Tests.Streams;

/// <summary>
/// kill -9 of a real <c>exchange serve</c> process while traders trade and an admin deposits; a restart on the same
/// directory; every client logs in with its session and the next sequence it expects, then resends its last messages
/// blindly. What this version promises (docs/protocol.md section 8): nothing runs twice (the deposits add up to exactly
/// what was sent, each execution is in a stream at most once), nothing a client saw is lost (replayed byte for byte,
/// and a resend of a token whose outcome it saw gets that outcome byte for byte), every resend is answered, and
/// conservation holds. Not asserted, because it is not yet promised: that the streams hold every execution of the core
/// (messages of commands journaled but not written at the kill are not re-derived).
/// </summary>
public sealed partial class StreamCrashTests : IDisposable
{
    private const long Price = 120_000;
    private readonly string _journal = Path.Combine(Path.GetTempPath(), "exchange-stream-crash", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(_journal)) Directory.Delete(_journal, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private sealed class Sender(string user, ExchangeClient client)
    {
        public readonly string User = user;
        public ExchangeClient Client = client;
        public readonly List<(uint Token, byte[] Message)> Sent = [];
        public readonly List<ServerMessage> Before = [];
        public uint Next = 1;

        public async Task SendAsync(Func<uint, byte[]> build)
        {
            var token = Next++;
            var message = build(token);
            lock (Sent) Sent.Add((token, message));
            await Client.SendAsync(message);
        }
    }

    [Theory]
    [InlineData(150)]
    [InlineData(400)]
    public async Task KillNine_WhileTradingAndDepositing_RestartReplayResend_NothingLostNothingTwice(int killAfterMs)
    {
        var config = Config(journal: _journal, topology: "single", configure: c => c with
        {
            DropCopyPort = -1,
            MarketDataPort = -1,
            Pipeline = c.Pipeline with { SnapshotEveryCommands = 300 },
        });
        var configFile = Path.Combine(_journal, "..", Path.GetFileName(_journal) + ".json");
        Directory.CreateDirectory(_journal);
        await File.WriteAllTextAsync(configFile, ConfigLoader.ToJson(config));
        string session;
        var senders = new List<Sender>();
        using (var process = ExchangeProcess.Start("serve", "--config", configFile))
        {
            var port = await PortOfAsync(process);
            session = "";
            foreach (var user in new[] { "admin", "t1", "t2", "feed" })
            {
                var client = await ExchangeClient.ConnectAsync("127.0.0.1", port);
                var login = await client.LoginAsync(user, Password(user), 1, "", Wait);
                Assert.True(login.Accepted, login.Debug);
                session = login.Session;
                senders.Add(new Sender(user, client));
            }
            var (admin, t1, t2, feed) = (senders[0], senders[1], senders[2], senders[3]);
            await admin.SendAsync(t => Inbound.DepositTo(t, 1, 1_000_000_000_000));
            await admin.SendAsync(t => Inbound.DepositTo(t, 2, 1_000_000_000_000));
            await feed.SendAsync(t => Inbound.Mark(t, Btc, Price));
            await feed.Client.WaitForAsync(m => m.Type == 'M', Wait);
            await admin.Client.WaitForAsync(m => m.Token == 2, Wait);

            using var stop = new CancellationTokenSource();
            async Task Loop(Sender s, Func<int, Func<uint, byte[]>> next)
            {
                try
                {
                    for (var i = 0; !stop.IsCancellationRequested; i++)
                    {
                        await s.SendAsync(next(i));
                        await Task.Delay(1);
                    }
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException
                                              or System.Net.Sockets.SocketException or OperationCanceledException)
                {
                    // The server was killed.
                }
            }
            var flow = Task.WhenAll(
                Loop(t1, i => t => Inbound.NewOrder(t, 1, Btc, 1, 0, 0, 0, 0, Price + i % 3, 2)),
                Loop(t2, i => t => Inbound.NewOrder(t, 2, Btc, 0, 0, 1, 0, 0, Price + 2, 3)),
                Loop(admin, i => t => Inbound.DepositTo(t, (uint)(1 + i % 2), 1_000 + t)));
            await Task.Delay(killAfterMs);
            process.Kill(); // SIGKILL: no drain, no snapshot, no clean-stop mark
            await process.WaitForExitAsync();
            stop.Cancel();
            await flow;
        }
        await Task.Delay(200);
        foreach (var s in senders)
        {
            s.Before.AddRange(s.Client.History);
            await s.Client.DisposeAsync();
        }

        var server = new GatewayServer(config, null, null, inProcess: false);
        await server.StartAsync();
        try
        {
            Assert.Equal(session, server.SessionId);
            foreach (var s in senders)
            {
                var last = s.Before.Count == 0 ? 0 : s.Before[^1].Sequence;
                Assert.Equal(Enumerable.Range(1, (int)last).Select(i => (long)i), s.Before.Select(m => m.Sequence));
                s.Client = await ExchangeClient.ConnectAsync("127.0.0.1", server.Port);
                var login = await s.Client.LoginAsync(s.User, Password(s.User), last + 1, session, Wait);
                Assert.True(login.Accepted, login.Debug);
                Assert.Equal(last + 1, login.NextSequence);
            }
            // Blind resends: each client's last five messages, and every one whose outcome it had not seen.
            foreach (var s in senders)
            {
                var seen = s.Before.Select(m => m.Token).ToHashSet();
                var resend = s.Sent.Where((m, i) => i >= s.Sent.Count - 5 || !seen.Contains(m.Token)).ToList();
                foreach (var (_, message) in resend) await s.Client.SendAsync(message);
                foreach (var (token, _) in resend)
                {
                    var answer = await s.Client.WaitForAsync(m => m.Token == token, Wait);
                    // An outcome the client saw before the kill comes back byte for byte (its stream and its outcome
                    // mark outlived the process); otherwise the original outcome, a copy of it, or the section 7 J.
                    var original = s.Before.FirstOrDefault(m => m.Token == token);
                    if (original is not null) Assert.Equal(original.Raw, answer.Raw);
                }
                // Every message sent now has an answer in the stream, with no gap in the numbering.
                var all = s.Before.Concat(s.Client.History).ToList();
                Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long)i), all.Select(m => m.Sequence));
                foreach (var (token, _) in s.Sent) Assert.Contains(all, m => m.Token == token);
            }
            // What each client saw before the kill is replayed byte for byte from 1.
            foreach (var s in senders.Where(s => s.Before.Count > 0))
            {
                await using var reader = await ExchangeClient.LoginAsync("127.0.0.1", server.Port, s.User, Password(s.User), 1, Wait);
                var replay = new List<ServerMessage>();
                while (replay.Count < s.Before.Count) replay.Add(await reader.ReceiveAsync(Wait));
                Assert.Equal(s.Before.Select(m => m.Raw), replay.Select(m => m.Raw));
            }
        }
        finally
        {
            await server.StopAsync();
        }

        var core = server.Exchange;
        // Nothing ran twice: every deposit sent was applied exactly once (each has its own amount).
        var deposits = 2_000_000_000_000 + senders[0].Sent.Where(m => m.Token > 2).Sum(m => 1_000L + m.Token);
        Assert.Equal((Int128)deposits, core.Deposits);
        // Nothing twice in the streams: each execution a trader's stream holds is there once (a resend's copy is an
        // outcome copy, never an execution), is one the core made, and the fills it shows add up to no more than the
        // core's position (equal once the messages of journaled-but-unwritten commands are re-derived).
        foreach (var (s, account) in new[] { (senders[1], 1), (senders[2], 2) })
        {
            var all = s.Before.Concat(s.Client.History).ToList();
            var executions = all.Where(m => m.Type == 'E' && m.Account == account).GroupBy(m => m.TradeId).ToList();
            Assert.All(executions, g => Assert.Single(g));
            Assert.All(executions, g => Assert.InRange(g.Key, 1, core.LastTradeId));
            var signed = executions.Sum(g => g.First().Side == 0 ? g.First().Quantity : -g.First().Quantity);
            Assert.True(Math.Abs(signed) <= Math.Abs(core.PositionQty(account, Btc)) && (signed == 0 ||
                Math.Sign(signed) == Math.Sign(core.PositionQty(account, Btc))), $"stream {signed}, core {core.PositionQty(account, Btc)}");
        }
        Assert.Null(server.Fault);
        AssertConserved(core);
    }

    private static async Task<int> PortOfAsync(Process process)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            var m = OrderEntry().Match(line);
            if (m.Success) return int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException("exchange serve ended before its banner: " + await process.StandardError.ReadToEndAsync());
    }

    [GeneratedRegex(@"order entry listening on 127\.0\.0\.1:(\d+)")]
    private static partial Regex OrderEntry();
}
