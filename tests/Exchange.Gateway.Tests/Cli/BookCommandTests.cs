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
}
