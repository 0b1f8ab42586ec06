using Exchange.Client;
using Exchange.Gateway.Tests.Support;
using static Exchange.Gateway.Tests.Support.TestServer;

namespace Exchange.Gateway.Tests.Sessions;

public sealed class ConnectionAdmissionTests
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Connect_MoreWaitingToLogInFromOneAddressThanAllowed_RefusedWithAReason_LoggedInOnesDoNotCount()
    {
        await using var server = await StartAsync(l => l with { MaxUnauthenticatedPerAddress = 2 }, inProcess: true);
        using var idle1 = await RawConnection.ConnectAsync(server.Port);
        using var idle2 = await RawConnection.ConnectAsync(server.Port);

        using var third = await RawConnection.ConnectAsync(server.Port);
        Assert.True(await third.ReadUntilClosedAsync(Short), "the third idle connection was kept");
        Assert.Contains("waiting to log in", third.LastDebug());

        // Once the two log in, the address may open new connections again.
        await idle1.LoginAsync("t1");
        await idle2.LoginAsync("t2");
        Assert.NotNull(await idle1.ReadPacketAsync(Exchange.Client.Protocol.PacketType.LoginAccepted, Short));
        Assert.NotNull(await idle2.ReadPacketAsync(Exchange.Client.Protocol.PacketType.LoginAccepted, Short));
        await using var fourth = await server.LoginAsync("t3");
        Assert.Equal(3, server.Server.Connections);
    }

    [Fact]
    public async Task Connect_MoreThanTheAddressMayHold_RefusedWhileTheOthersGoOn()
    {
        await using var server = await StartAsync(l => l with { MaxConnectionsPerAddress = 2 }, inProcess: true);
        await using var a = await server.LoginAsync("t1");
        await using var b = await server.LoginAsync("t2");

        using var c = await RawConnection.ConnectAsync(server.Port);
        Assert.True(await c.ReadUntilClosedAsync(Short), "a third connection from the address was kept");
        Assert.Contains("too many connections from this address", c.LastDebug());

        await a.QueryAsync(0);
        await a.WaitForAsync(m => m.Type == 'Q', Wait);
        await b.LogoutAsync();
        await b.Closed.WaitAsync(Wait);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (server.Server.Connections > 1 && DateTime.UtcNow < deadline) await Task.Delay(20);
        await using var d = await server.LoginAsync("t3");
        await server.StopAndCheckAsync();
    }
}
