using Exchange.Core.Journal;
using Exchange.Gateway.Hosting;
using Exchange.Gateway.Tests.Support;

namespace Exchange.Gateway.Tests;

public sealed class JournalLockTests
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
}
