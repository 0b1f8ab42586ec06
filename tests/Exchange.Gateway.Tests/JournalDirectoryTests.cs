using Exchange.Client;
using Exchange.Core.Journal;
using Exchange.Gateway.Hosting;
using Exchange.Gateway.Tests.Support;

namespace Exchange.Gateway.Tests;

public sealed class JournalDirectoryTests
{
    [Fact]
    public async Task SecondServer_OnTheSameJournal_RefusedAtStart_AndTheFirstGoesOn()
    {
        await using var server = await TestServer.StartAsync();
        await server.SetUpAsync(1_000_000);
        var journal = server.Journal!;

        var error = Assert.Throws<DirectoryInUseException>(() => new GatewayServer(TestServer.Config(journal: journal)));
        Assert.Contains("in use by another process", error.Message);

        await using var admin = await server.LoginAsync("admin");
        var token = await admin.DepositAsync(1, 5);
        Assert.Equal('T', (await admin.WaitForAsync(m => m.Token == token, TestServer.Wait)).Type);
        await server.StopAndCheckAsync();

        // Stopped, it lets go: a restart on the same journal starts.
        await using var restarted = await server.RestartAsync();
        await restarted.StopAndCheckAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Server_WithSnapshots_TrimsItsJournal_AndItsStopLeavesTheFinalSnapshot(bool metrics)
    {
        var journal = Path.Combine(Path.GetTempPath(), "exchange-gateway-tests", Guid.NewGuid().ToString("N"));
        // 42 commands a file (96 bytes each), a snapshot every 50: the journal on disk stays a few files however many commands run.
        var config = TestServer.Config(journal: journal, metrics: metrics);
        config = config with
        {
            Pipeline = config.Pipeline with { SnapshotEveryCommands = 50, JournalSegmentBytes = 4096 },
            Metrics = config.Metrics with { Port = 0 },
        };
        try
        {
            var server = new GatewayServer(config);
            await server.StartAsync();
            await using (var admin = await ExchangeClient.LoginAsync("127.0.0.1", server.Port, "admin", TestServer.Password("admin"), 0, TestServer.Wait))
            {
                for (var i = 1; i <= 400; i++)
                {
                    var token = await admin.DepositAsync(1 + i % 4, i);
                    Assert.Equal('T', (await admin.WaitForAsync(m => m.Token == token, TestServer.Wait)).Type);
                }
            }
            await server.StopAsync();
            var balance = server.Exchange.Balance(1);

            // ~400 commands wrote about 10 files. Retention keeps only the files that recovery from the oldest snapshot
            // kept may need: every file but the first starts after it. How old that snapshot is depends on the machine
            // (a snapshot is skipped while the previous is written; the one at the streams' written-through mark stays),
            // so the check is the rule itself, plus the bound on the snapshots kept (2, plus the one at the mark).
            var firsts = Directory.GetFiles(journal, "journal-*.log")
                .Select(f => long.Parse(Path.GetFileNameWithoutExtension(f)["journal-".Length..], System.Globalization.CultureInfo.InvariantCulture))
                .Order().ToArray();
            var snapshots = SnapshotStore.List(Path.Combine(journal, "snapshots"));
            Assert.Equal(server.Exchange.LastSequence, snapshots[0].Sequence);
            Assert.InRange(snapshots.Length, 1, 3);
            var covered = snapshots[^1].Sequence;
            Assert.NotEmpty(firsts);
            Assert.True(firsts.Length == 1 || firsts[1] > covered + 1,
                $"journal files starting at {string.Join(", ", firsts)} kept, though the oldest snapshot kept is at {covered}");
            Assert.True(firsts.Length < 10, $"{firsts.Length} journal files kept: none removed");

            var restarted = new GatewayServer(config);
            Assert.Equal(balance, restarted.Exchange.Balance(1));
            await restarted.StopAsync();
        }
        finally
        {
            Directory.Delete(journal, recursive: true);
        }
    }
}
