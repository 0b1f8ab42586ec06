using Exchange.Client.Protocol;
using Exchange.Client;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Protocol;
using Exchange.Gateway.Security;
using Exchange.Gateway.Tests.Support;

namespace Exchange.Gateway.Tests;

public sealed class LoginTests
{
    [Fact]
    public async Task Login_ValidCredentials_AcceptedWithSessionAndFirstSequence()
    {
        await using var server = await TestServer.StartAsync(inProcess: true);
        await using var client = await ExchangeClient.ConnectAsync("127.0.0.1", server.Port);
        var result = await client.LoginAsync("t1", TestServer.Password("t1"), 1, "", TestServer.Wait);
        Assert.True(result.Accepted);
        Assert.Equal(server.Server.SessionId, result.Session);
        Assert.Equal(1, result.NextSequence);
    }

    [Fact]
    public async Task Login_UsernameInOtherCase_Accepted()
    {
        await using var server = await TestServer.StartAsync(inProcess: true);
        await using var client = await ExchangeClient.ConnectAsync("127.0.0.1", server.Port);
        Assert.True((await client.LoginAsync("T1", TestServer.Password("t1"), 1, "", TestServer.Wait)).Accepted);
    }

    [Theory]
    [InlineData("t1", "wrong")]
    [InlineData("nobody", "pw-t1")]
    [InlineData("t1", "PW-T1")]
    public async Task Login_BadCredentials_RejectedNotAuthorizedAndClosed(string user, string password)
    {
        await using var server = await TestServer.StartAsync(inProcess: true);
        await using var client = await ExchangeClient.ConnectAsync("127.0.0.1", server.Port);
        var result = await client.LoginAsync(user, password, 1, "", TestServer.Wait);
        Assert.False(result.Accepted);
        Assert.Equal('A', result.RejectReason);
        await client.Closed.WaitAsync(TestServer.Wait);
    }

    [Fact]
    public async Task Login_OtherSession_RejectedSessionNotAvailable()
    {
        await using var server = await TestServer.StartAsync(inProcess: true);
        await using var client = await ExchangeClient.ConnectAsync("127.0.0.1", server.Port);
        var result = await client.LoginAsync("t1", TestServer.Password("t1"), 1, "OLDSESSION", TestServer.Wait);
        Assert.Equal((false, 'S'), (result.Accepted, result.RejectReason));
    }

    [Fact]
    public async Task Login_CurrentSessionNamed_Accepted()
    {
        await using var server = await TestServer.StartAsync(inProcess: true);
        await using var client = await ExchangeClient.ConnectAsync("127.0.0.1", server.Port);
        Assert.True((await client.LoginAsync("t1", TestServer.Password("t1"), 1, server.Server.SessionId, TestServer.Wait)).Accepted);
    }

    [Fact]
    public async Task Login_RepeatedFailures_ThatUserRefusedFromTheAddressEvenWithTheRightPassword_OthersNot()
    {
        await using var server = await TestServer.StartAsync(l => l with { MaxFailedLogins = 3 }, inProcess: true);
        for (var i = 0; i < 3; i++)
        {
            await using var bad = await ExchangeClient.ConnectAsync("127.0.0.1", server.Port);
            Assert.False((await bad.LoginAsync("t1", "guess" + i, 1, "", TestServer.Wait)).Accepted);
        }
        await using var good = await ExchangeClient.ConnectAsync("127.0.0.1", server.Port);
        var result = await good.LoginAsync("T1", TestServer.Password("t1"), 1, "", TestServer.Wait);
        Assert.Equal((false, 'A'), (result.Accepted, result.RejectReason));
        Assert.Contains("too many failed logins", result.Debug);

        // The lockout is the pair's: the admin (and every other user) of the same address still logs in.
        await using var admin = await ExchangeClient.ConnectAsync("127.0.0.1", server.Port);
        Assert.True((await admin.LoginAsync("admin", TestServer.Password("admin"), 1, "", TestServer.Wait)).Accepted);
        await using var t2 = await ExchangeClient.ConnectAsync("127.0.0.1", server.Port);
        Assert.True((await t2.LoginAsync("t2", TestServer.Password("t2"), 1, "", TestServer.Wait)).Accepted);
    }

    [Fact]
    public async Task PasswordChecks_ABurstBeyondTheQueue_RefusedBusyWithoutHashing()
    {
        var directory = new UserDirectory(
            [new UserConfig { Username = "t1", Role = UserConfig.Trader, Account = 1, Password = PasswordHash.Create("pw-t1") }],
            maxPendingChecks: 2);
        var bound = 2 + Environment.ProcessorCount;

        // Started together, none can finish before the last is started (each costs a full PBKDF2).
        var checks = Enumerable.Range(0, 20)
            .Select(i => directory.VerifyAsync("t1", System.Text.Encoding.UTF8.GetBytes("guess" + i), default).AsTask()).ToList();
        var peak = directory.PendingChecks;
        var results = await Task.WhenAll(checks);

        Assert.InRange(peak, 1, bound);
        Assert.True(results.Count(r => r.Result == LoginCheck.Busy) >= 20 - bound,
            $"{results.Count(r => r.Result == LoginCheck.Busy)} refused busy");
        Assert.All(results, r => Assert.Null(r.User));
        Assert.Equal(0, directory.PendingChecks);
        // The queue drained: the right password is checked again.
        Assert.Equal(LoginCheck.Ok, (await directory.VerifyAsync("t1", System.Text.Encoding.UTF8.GetBytes("pw-t1"), default)).Result);
    }

    [Fact]
    public async Task Login_MoreSessionsThanAllowed_Rejected()
    {
        await using var server = await TestServer.StartAsync(l => l with { MaxSessionsPerUser = 2 }, inProcess: true);
        await using var a = await server.LoginAsync("t1");
        await using var b = await server.LoginAsync("t1");
        await using var c = await ExchangeClient.ConnectAsync("127.0.0.1", server.Port);
        Assert.False((await c.LoginAsync("t1", TestServer.Password("t1"), 1, "", TestServer.Wait)).Accepted);
        await using var other = await server.LoginAsync("t2");
    }

    [Fact]
    public async Task Login_MalformedRequest_RejectedAndClosed()
    {
        await using var server = await TestServer.StartAsync(inProcess: true);
        using var raw = await RawConnection.ConnectAsync(server.Port);
        var login = LoginCodec.Request("t1", TestServer.Password("t1"), "", 1);
        "abc"u8.CopyTo(login.AsSpan(43));
        await raw.SendPacketAsync(PacketType.LoginRequest, login);
        Assert.NotNull(await raw.ReadPacketAsync(PacketType.LoginRejected, TestServer.Wait));
        Assert.True(await raw.ReadUntilClosedAsync(TestServer.Wait));
    }

    [Fact]
    public async Task Idle_ClientSendsHeartbeats_ServerHeartbeatsAndKeepsTheLink()
    {
        await using var server = await TestServer.StartAsync(l => l with { HeartbeatIntervalMs = 200, IdleTimeoutMs = 2_000 }, inProcess: true);
        await using var client = await server.LoginAsync("t1");
        await Task.Delay(3_000);
        Assert.False(client.Closed.IsCompleted);
        Assert.True(client.Heartbeats >= 5, $"{client.Heartbeats} server heartbeats");
    }

    [Fact]
    public async Task Shutdown_LoggedInClient_ReceivesEndOfSession()
    {
        var server = await TestServer.StartAsync(inProcess: true);
        await using var client = await server.LoginAsync("t1");
        await server.Server.StopAsync();
        await client.Closed.WaitAsync(TestServer.Wait);
        Assert.True(client.EndOfSession);
        await server.DisposeAsync();
    }
}
