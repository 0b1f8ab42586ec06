using Exchange.Gateway.Cli;
using static Exchange.Gateway.Tests.Support.TestServer;

namespace Exchange.Gateway.Tests.Cli;

/// <summary><c>exchange client book</c> against a running server: the ladder in human units.</summary>
public sealed class BookCommandTests
{
    [Fact]
    public async Task Book_RestingOrders_PrintedAsALadder()
    {
        await using var server = await StartAsync(inProcess: true);
        await server.SetUpAsync(1_000_000_000_000, (Btc, 120_000));
        await using var t1 = await server.LoginAsync("t1");
        await t1.PlaceAsync(1, Btc, 1, 120_010, 500);  // 0.5 @ 60005
        await t1.PlaceAsync(1, Btc, 0, 119_990, 200);  // 0.2 @ 59995
        await t1.PlaceAsync(1, Btc, 0, 119_990, 100);
        await t1.WaitForAsync(m => m.Type == 'A' && m.Quantity == 100, Wait);

        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = ExchangeCommandLine.Run(["client", "--port", server.Port.ToString(), "--user", "t2", "--password", Password("t2"),
            "book", "BTC-PERP", "--md-port", server.Server.MarketDataPort.ToString(),
            "--snapshot-port", server.Server.SnapshotPort.ToString(), "--for", "1000"], stdout, stderr);

        Assert.True(code == 0, stderr.ToString());
        var lines = stdout.ToString().Split('\n').Select(l => l.TrimEnd()).ToList();
        var ask = lines.FindIndex(l => l.Contains("60005") && l.EndsWith("0.5"));
        var bid = lines.FindIndex(l => l.Contains("59995") && l.TrimStart().StartsWith("0.3"));
        Assert.True(ask >= 0 && bid > ask, stdout.ToString());
        Assert.Contains("mark 60000", stdout.ToString());
        // Not a terminal: no control codes; drawn when it changed (the empty book before the snapshot, the snapshot),
        // not at every one of the four refreshes in that second.
        Assert.DoesNotContain('\u001b', stdout.ToString());
        Assert.InRange(lines.Count(l => l.StartsWith("BTC-PERP  order log", StringComparison.Ordinal)), 1, 2);
    }

    [Fact]
    public async Task Book_ServerRestarts_TheLadderLogsInAgainInTheSession_AndGoesOnFromTheBookItHas()
    {
        await using var first = await StartAsync();
        await first.SetUpAsync(1_000_000_000_000, (Btc, 120_000));
        await using (var t1 = await first.LoginAsync("t1"))
        {
            await t1.PlaceAsync(1, Btc, 1, 120_010, 500);  // 0.5 @ 60005
            await t1.WaitForAsync(m => m.Type == 'A' && m.Quantity == 500, Wait);
        }
        var (port, marketData, snapshot) = (first.Port, first.Server.MarketDataPort, first.Server.SnapshotPort);

        var stdout = new StringWriter();
        var output = TextWriter.Synchronized(stdout);
        var book = Task.Run(() => ExchangeCommandLine.Run(["client", "--port", port.ToString(), "--user", "t2", "--password", Password("t2"),
            "book", "BTC-PERP", "--md-port", marketData.ToString(), "--snapshot-port", snapshot.ToString(), "--for", "12000"], output, new StringWriter()));
        await Until(() => stdout.ToString().Contains("60005"), "the first ladder");

        // The server stops (End of Session to the ladder) and comes back on its journal at the same ports: the ladder
        // logs in again in the same session from its next sequence number. The order placed after the restart can only
        // reach it through the resumed order log, the one before only through the book it kept.
        await first.StopAndCheckAsync();
        await using var second = await first.RestartAsync(configure: c => c with { Port = port, MarketDataPort = marketData, SnapshotPort = snapshot });
        await using (var t1 = await second.LoginAsync("t1"))
        {
            await t1.PlaceAsync(1, Btc, 0, 119_990, 200);  // 0.2 @ 59995
            await t1.WaitForAsync(m => m.Type == 'A' && m.Quantity == 200, Wait);
        }
        await Until(() => stdout.ToString().Contains("59995"), "the ladder after the restart");

        Assert.Equal(0, await book);
        await second.StopAndCheckAsync();
        var text = stdout.ToString();
        Assert.Contains("ended the session; logging in again", text);
        Assert.Contains("market data: logged in again at", text);
        var last = text[text.LastIndexOf("BTC-PERP  order log", StringComparison.Ordinal)..].Split('\n').Select(l => l.TrimEnd()).ToList();
        var ask = last.FindIndex(l => l.Contains("60005") && l.EndsWith("0.5"));
        var bid = last.FindIndex(l => l.Contains("59995") && l.TrimStart().StartsWith("0.2"));
        Assert.True(ask >= 0 && bid > ask, text);
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no {what} within 10 s");
            await Task.Delay(20);
        }
    }
}
