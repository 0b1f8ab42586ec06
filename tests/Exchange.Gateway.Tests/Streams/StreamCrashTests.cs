using System.Diagnostics;
using System.Text.RegularExpressions;
using Exchange.Client;
using Exchange.Client.Protocol;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Hosting;
using Exchange.Gateway.Streams;
using Exchange.Gateway.Tests.Support;
using static Exchange.Gateway.Tests.Support.TestServer;

namespace Exchange.Gateway.Tests.Streams;

/// <summary>
/// kill -9 of a real <c>exchange serve</c> process while traders trade and an admin deposits; a restart on the same
/// directory; every client logs in with its session and the next sequence it expects, then resends its last messages
/// blindly. What is promised (docs/protocol.md section 8): nothing runs twice (the deposits add up to exactly what was
/// sent, each execution is in a stream once), nothing is lost: every user's stream holds every message of every
/// journaled command, byte for byte (record headers and outcome flags too) what a crash-free derivation of the same
/// journal gives (a second server started on a copy of the killed directory with its streams emptied and its
/// written-through mark at 0, which derives every stream from the journal alone), what a client saw is replayed byte
/// for byte, a resend of any token gets its original outcome byte for byte (once the command was journaled, its
/// outcome is in the stream, re-derived if the kill came before it was written), the executions in a trader's stream
/// add up to the core's position, and conservation holds.
/// </summary>
public sealed partial class StreamCrashTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const long Price = 120_000;
    private readonly string _journal = Path.Combine(Path.GetTempPath(), "exchange-stream-crash", Guid.NewGuid().ToString("N"));
    private readonly string _derived = Path.Combine(Path.GetTempPath(), "exchange-stream-crash", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        foreach (var d in new[] { _journal, _derived })
        {
            try
            {
                if (Directory.Exists(d)) Directory.Delete(d, recursive: true);
            }
            catch (IOException)
            {
            }
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
            Pipeline = c.Pipeline with { SnapshotEveryCommands = 300, Fsync = "batch" },
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
                Assert.True(login.Accepted, $"{user}: refused {login.RejectReason} {login.Debug}");
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
            // The feed's own rejects, journaled like commands (docs/protocol.md section 8): NOT_AUTHORIZED (a deposit) and
            // MALFORMED (a type that does not decode), with tokens the core never sees; never resent (a resend is refused anew).
            async Task Refused(Sender s)
            {
                try
                {
                    for (var i = 0u; !stop.IsCancellationRequested; i++)
                    {
                        await s.Client.SendAsync(i % 2 == 0 ? Inbound.DepositTo(0x7000_0000 + i, 1, 5) : [(byte)'Z', 0x70, 0, 0, (byte)i]);
                        await Task.Delay(3);
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
                Loop(admin, i => t => Inbound.DepositTo(t, (uint)(1 + i % 2), 1_000 + t)),
                Refused(feed));
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
        // The crash-free streams: the killed directory's journal derived from scratch, on a copy whose streams are
        // emptied (same session) and whose written-through mark is 0.
        StreamRecords.CopyDirectory(_journal, _derived);
        foreach (var stream in Directory.GetDirectories(Path.Combine(_derived, "streams"))) Directory.Delete(stream, recursive: true);
        StreamRecords.WriteMark(_derived, 0);
        var journaled = StreamRecords.JournaledSequences(_derived).ToHashSet();
        var derivation = new GatewayServer(config with { Journal = _derived }, null, null, inProcess: false);
        await derivation.StartAsync();
        await derivation.StopAsync();
        Assert.Equal(journaled.Count, derivation.Rederivation!.Commands);
        var expected = StreamRecords.Read(_derived);

        var server = new GatewayServer(config, null, null, inProcess: false);
        output.WriteLine($"kill after {killAfterMs} ms; restart: {server.Rederivation}");
        Assert.Equal(0, server.Rederivation!.Mismatched);
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
                Assert.True(login.Accepted, $"{s.User}: refused {login.RejectReason} {login.Debug}");
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
                    // mark outlived the process); so does one written back at the restart (re-derived), which the
                    // client sees now in its replay, before the resend's answer; a command never journaled runs now.
                    var original = s.Before.FirstOrDefault(m => m.Token == token && m.RejectCode != Core.Events.RejectCode.RateLimited)
                        ?? s.Client.History.First(m => m.Token == token && m.RejectCode != Core.Events.RejectCode.RateLimited);
                    Assert.Equal(original.Raw, answer.Raw);
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
        // Nothing lost, nothing twice: every stream holds exactly the messages a crash-free run derives from the journal,
        // in the same order, byte for byte (the gateway's own rejects included: they are journaled); what came after (the
        // resends' answers) aside.
        var actual = StreamRecords.Read(_journal);
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (name, records) in expected)
        {
            var held = actual[name].Where(r => journaled.Contains(r.Command)).Select(r => Convert.ToHexString(r.Bytes)).ToList();
            Assert.Equal(records.Select(r => Convert.ToHexString(r.Bytes)).ToList(), held);
        }
        // The feed's stream holds the rejects of what it sent before the kill, each the journal's, none from outside it.
        var feedRejects = expected.Where(p => p.Key.StartsWith("user-", StringComparison.Ordinal))
            .SelectMany(p => p.Value).Count(r => r.Bytes[MessageLog.HeaderLength] == (byte)'J' && r.Bytes[MessageLog.HeaderLength + 13] is (byte)'D' or (byte)'Z');
        Assert.True(feedRejects > 0, "no gateway reject was journaled before the kill");
        Assert.All(actual.Values.SelectMany(r => r), r => Assert.True(r.Command != 0, $"a message of no command: {r}"));
        // Each execution a trader's stream holds is there once (a resend's copy is an outcome copy, never an
        // execution), is one the core made, and the fills add up to the core's position.
        foreach (var (s, account) in new[] { (senders[1], 1), (senders[2], 2) })
        {
            var all = s.Before.Concat(s.Client.History).ToList();
            var executions = all.Where(m => m.Type == 'E' && m.Account == account).GroupBy(m => m.TradeId).ToList();
            Assert.All(executions, g => Assert.Single(g));
            Assert.All(executions, g => Assert.InRange(g.Key, 1, core.LastTradeId));
            var signed = executions.Sum(g => g.First().Side == 0 ? g.First().Quantity : -g.First().Quantity);
            Assert.Equal(core.PositionQty(account, Btc), signed);
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
