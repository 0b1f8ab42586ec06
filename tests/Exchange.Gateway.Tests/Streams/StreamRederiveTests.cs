using Exchange.Client;
using Exchange.Client.Protocol;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Hosting;
using Exchange.Gateway.Tests.Support;
using static Exchange.Gateway.Tests.Support.TestServer;

namespace Exchange.Gateway.Tests.Streams;

/// <summary>
/// Re-derivation at start (docs/protocol.md section 8), deterministically: a run's streams are cut back as a crash
/// between the journal's commit and the streams' writes leaves them (each stream a prefix of what it was sent, holding
/// at least everything up to the written-through mark, some more than that, some cut inside one command's messages),
/// and a restart on that directory must write back every missing message: each stream, market data and drop copy
/// included, equal byte for byte (headers and outcome flags too) to the uncut run's.
/// </summary>
public sealed class StreamRederiveTests : IDisposable
{
    private const long Price = 120_000;
    private readonly List<string> _directories = [];

    public void Dispose()
    {
        foreach (var d in _directories)
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

    private string NewDirectory()
    {
        var d = Path.Combine(Path.GetTempPath(), "exchange-rederive", Guid.NewGuid().ToString("N"));
        _directories.Add(d);
        return d;
    }

    private static GatewayConfig WithFeeds(GatewayConfig c) => c with
    {
        DropCopy = [new DropCopyGroupConfig { Name = "desk", Accounts = [1, 2], Users = ["admin"] }],
        Pipeline = c.Pipeline with { SnapshotEveryCommands = 25 },
        // A burst of 40 per connection, then one a second: enough for the run's traffic, so one burst is rate limited.
        Limits = c.Limits with { RatePerSecond = 1, RateBurst = 40 },
    };

    /// <summary><paramref name="count"/> copies of <paramref name="message"/> as unsequenced data packets, in one write.</summary>
    private static byte[] Packets(byte[] message, int count)
    {
        var packets = new byte[count * (3 + message.Length)];
        for (var i = 0; i < count; i++)
        {
            packets[i * (3 + message.Length) + 1] = (byte)(message.Length + 1);
            packets[i * (3 + message.Length) + 2] = Client.Protocol.PacketType.UnsequencedData;
            message.CopyTo(packets, i * (3 + message.Length) + 3);
        }
        return packets;
    }

    [Theory]
    [InlineData("single", 1, false)]
    [InlineData("parallel", 2, false)]
    // A power loss after a roll whose file the store's timer had not yet fsynced: each stream's file torn where the
    // prefix ends and a newer file (named by its first message) holding later messages, all of commands after the mark.
    [InlineData("single", 3, true)]
    public async Task StreamsCutBehindTheJournal_Restart_WritesBackEveryMessage_ByteForByte(string topology, int seed, bool tornBeforeANewerFile)
    {
        var journal = NewDirectory();
        var first = await StartAsync(journal: journal, topology: topology, configure: WithFeeds);
        await first.SetUpAsync(1_000_000_000_000, (Btc, Price));
        await using (var t1 = await first.LoginAsync("t1"))
        await using (var t2 = await first.LoginAsync("t2"))
        await using (var t3 = await first.LoginAsync("t3"))
        await using (var admin = await first.LoginAsync("admin"))
        await using (var feed = await first.LoginAsync("feed"))
        {
            // Every kind of message: accepts, executions on both sides (the drop copy's accounts), replaces, cancels, a
            // cancel-all, a duplicate's copy, funding payments, transfers, the order log.
            for (var i = 0; i < 12; i++) await t1.PlaceAsync(1, Btc, 1, Price + i % 4, 3);
            var lastAsk = t1.NextToken - 1;
            await t1.WaitForAsync(m => m.Token == lastAsk, Wait);
            for (var i = 0; i < 4; i++) await t3.PlaceAsync(3, Btc, 0, Price - 5 - i, 2);
            var take = await t2.PlaceAsync(2, Btc, 0, Price + 2, 10, tif: 1);
            await t2.WaitForAsync(m => m.Token == take, Wait);
            var resting = t1.History.Where(m => m.Type == 'A').Select(m => m.OrderId).ToList();
            var replace = await t1.ReplaceAsync(1, resting[^1], 0, Price + 7, 2);
            await t1.WaitForAsync(m => m.Token == replace, Wait);
            var cancel = await t1.CancelAsync(1, resting[^2]);
            await t1.WaitForAsync(m => m.Token == cancel, Wait);
            var funding = await feed.FundingAsync(Btc, 150);
            await feed.WaitForAsync(m => m.Token == funding, Wait);
            var deposit = await admin.DepositAsync(3, 5_000);
            await admin.WaitForAsync(m => m.Token == deposit, Wait);
            var sell = await t3.PlaceAsync(3, Btc, 1, Price - 6, 3, tif: 1);
            await t3.WaitForAsync(m => m.Token == sell, Wait);
            // A resend of an executed order: its outcome again, byte for byte (a Duplicate, routed like the rest).
            await t2.SendAsync(Inbound.NewOrder(take, 2, Btc, 0, 0, 1, 0, 0, Price + 2, 10));
            await t2.WaitForAsync(m => m.Token == take && m.Sequence > t2.History.First(x => x.Token == take).Sequence, Wait);
            var all = await t3.CancelAllAsync(3);
            await t3.WaitForAsync(m => m.Token == all && m.Type == 'K', Wait);
            var more = await t2.PlaceAsync(2, Btc, 0, Price + 3, 4);
            await t2.WaitForAsync(m => m.Token == more, Wait);
            // Account queries, between the trading: their answers (journaled queries) are re-derived like the rest.
            await t1.QueryAsync(1, 901);
            await t1.WaitForAsync(m => m.Type == 'Q' && m.Token == 901, Wait);
            await admin.QueryAsync(2, 902);
            await admin.QueryAsync(77, 903); // no such account: its J is the answer
            await admin.WaitForAsync(m => m.Token == 903, Wait);
            var late = await t3.PlaceAsync(3, Btc, 1, Price + 9, 1);
            await t3.QueryAsync(3, 904);
            await t3.WaitForAsync(m => m.Type == 'Q' && m.Token == 904, Wait);
            Assert.Contains(t3.History, m => m.Token == late);
            // Every kind of the gateway's own rejects, journaled and answered in sequence: MALFORMED (a type that does not
            // decode; token 0), NOT_AUTHORIZED (a trader's deposit), and RATE_LIMITED (a burst past the bucket).
            await t1.SendAsync([(byte)'Z', 0, 0, 0, 9, 1, 2, 3]);
            await t1.SendAsync(Inbound.NewOrder(0, 1, Btc, 0, 0, 0, 0, 0, Price, 1));
            await t1.SendAsync(Inbound.DepositTo(905, 1, 1_000));
            await t1.WaitForAsync(m => m.Token == 905 && m.RejectCode == Core.Events.RejectCode.NotAuthorized, Wait);
            Assert.Equal(2, t1.History.Count(m => m.RejectCode == Core.Events.RejectCode.Malformed));
            var answered = t2.History.Count;
            await t2.SendRawAsync(Packets(Inbound.Query(906, 2), 50));
            var sw = System.Diagnostics.Stopwatch.StartNew();
            while (t2.History.Count(m => m.Token == 906) < 50 && sw.Elapsed < Wait) await Task.Delay(10);
            var burst = t2.History.Skip(answered).Where(m => m.Token == 906).ToList();
            Assert.Equal(50, burst.Count);
            Assert.Contains(burst, m => m.RejectCode == Core.Events.RejectCode.RateLimited);
            Assert.Contains(burst, m => m.Type == 'Q');
            // The last command trades (both sides, the drop copy, the order log), so the late cut has something to cut;
            // from t3, whose bucket has room (t2's burst emptied its own).
            var after = await t3.PlaceAsync(3, Btc, 0, Price + 3, 2);
            await t3.WaitForAsync(m => m.Token == after && m.Type == 'A', Wait);
            await t1.WaitForAsync(m => m.Type == 'E' && m.Sequence > t1.History.First(x => x.Token == 905).Sequence, Wait);
        }
        await first.StopAndCheckAsync();
        var expected = StreamRecords.Read(journal);
        var journaled = StreamRecords.JournaledSequences(journal);
        // Every message of every stream is a journaled command's: account queries' answers (the test clients' logins
        // ask one too) included, since queries are journaled.
        var journaledSet = journaled.ToHashSet();
        foreach (var (name, records) in expected)
            Assert.All(records, r => Assert.True(journaledSet.Contains(r.Command), $"{name}: {r}"));
        var answers = expected.Values.SelectMany(r => r).Where(r => r.Bytes[MessageLogHeader] == (byte)'Q').ToList();
        Assert.True(answers.Count >= 8, $"{answers.Count} query answers");
        var candidates = journaled.Where(s => s > answers.Min(r => r.Command)).ToList();
        Assert.True(candidates.Count > 20, $"{candidates.Count} commands after the first query");
        Assert.Contains(expected.Keys, k => k.StartsWith("dropcopy-", StringComparison.Ordinal));

        var random = new Random(seed);
        // Early (most of the trading to write back), late (one command), and none past the mark but cut inside commands.
        foreach (var mark in new[] { candidates[0] - 1, candidates[candidates.Count / 2], candidates[^2] })
        {
            var copy = NewDirectory();
            StreamRecords.CopyDirectory(journal, copy);
            long removed = 0;
            var torn = 0;
            foreach (var (name, records) in expected)
            {
                // Everything through the mark is written; past it, any prefix (a crash mid-batch, or a full segment written early).
                var held = records.FindLastIndex(r => r.Command != 0 && r.Command <= mark) + 1;
                var keep = held + random.Next(records.Count - held + 1);
                var stream = Path.Combine(copy, "streams", name);
                if (tornBeforeANewerFile && keep + 1 < records.Count)
                {
                    var later = keep + 1 + random.Next(records.Count - keep - 1);
                    Assert.True(records[later].Command > mark);
                    StreamRecords.TruncateTorn(stream, records, keep, later);
                    torn++;
                }
                else
                    StreamRecords.Truncate(stream, records, keep);
                removed += records.Count - keep;
            }
            Assert.True(removed > 0, $"mark {mark}: nothing cut; journaled {string.Join(",", journaled)}; streams " +
                string.Join("; ", expected.Select(p => $"{p.Key}: {string.Join(",", p.Value.Select(r => r.Command))}")));
            Assert.True(!tornBeforeANewerFile || torn > 0, $"mark {mark}: no stream torn before a newer file");
            StreamRecords.WriteMark(copy, mark);

            var server = new GatewayServer(Config(journal: copy, topology: topology, configure: WithFeeds), null, null, inProcess: false);
            await server.StartAsync();
            await server.StopAsync();
            var report = server.Rederivation;
            Assert.NotNull(report);
            Assert.Equal(journaled.Count(s => s > mark), report.Commands);
            Assert.Equal(0, report.Mismatched);
            Assert.Equal(0, report.PassedOver);
            Assert.Equal(removed, report.Appended);
            var actual = StreamRecords.Read(copy);
            Assert.Equal(expected.Keys, actual.Keys);
            foreach (var (name, records) in expected)
                Assert.True(records.Select(r => r.Bytes).SequenceEqual(actual[name].Select(r => r.Bytes), ByteArrays.Instance),
                    $"mark {mark}, stream {name}: {records.Count} expected, {actual[name].Count} after the restart");
            Assert.Null(server.Fault);
            AssertConserved(server.Exchange);
        }
    }

    [Fact]
    public async Task CleanRestart_RederivesNothing_AndANewSessionNeverRederives()
    {
        var journal = NewDirectory();
        var first = await StartAsync(journal: journal, configure: WithFeeds);
        await first.SetUpAsync(1_000_000_000_000, (Btc, Price));
        await first.StopAndCheckAsync();
        var expected = StreamRecords.Read(journal);

        // (Stopped, not disposed: disposing a test server deletes its directory.)
        var second = await first.RestartAsync(configure: WithFeeds);
        await second.Server.StopAsync();
        Assert.Equal(0, second.Server.Rederivation!.Commands);
        var after = StreamRecords.Read(journal);
        Assert.Equal(expected.Keys, after.Keys);
        foreach (var (name, records) in expected)
            Assert.True(records.Select(r => r.Bytes).SequenceEqual(after[name].Select(r => r.Bytes), ByteArrays.Instance), name);

        // A changed session id begins a new session: the old session's messages are not this one's to write.
        var third = await first.RestartAsync(configure: c => WithFeeds(c) with { Session = "OTHER" });
        await third.Server.StopAsync();
        Assert.Null(third.Server.Rederivation);
        Assert.All(StreamRecords.Read(journal).Values, records => Assert.Empty(records));
    }

    private const int MessageLogHeader = Gateway.Streams.MessageLog.HeaderLength;

    private sealed class ByteArrays : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrays Instance = new();
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);
        public int GetHashCode(byte[] obj) => obj.Length;
    }
}
