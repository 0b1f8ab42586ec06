using System.Buffers.Binary;
using Exchange.Client.Protocol;
using Exchange.Client;
using Exchange.Core.Events;
using Exchange.Gateway.Protocol;
using Exchange.Gateway.Tests.Support;
using static Exchange.Gateway.Tests.Support.TestServer;

namespace Exchange.Gateway.Tests;

/// <summary>Bad bytes, bad timing and bad manners, over real sockets: the server answers or closes, never hangs or breaks.</summary>
public sealed class HostileInputTests
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(3);

    [Theory]
    [InlineData(new byte[] { 0x10, 0x00 }, "longer than")]          // 4096 > max frame length, seen from 2 bytes
    [InlineData(new byte[] { 0x00, 0x00 }, "empty packet")]
    [InlineData(new byte[] { 0x00, 0x01, (byte)'U' }, "login request")] // data before login
    [InlineData(new byte[] { 0x00, 0x01, (byte)'R' }, "login request")] // even a heartbeat
    public async Task BeforeLogin_ProtocolError_DebugThenClosed(byte[] bytes, string reason)
    {
        await using var server = await StartAsync(inProcess: true);
        using var raw = await RawConnection.ConnectAsync(server.Port);
        await raw.SendAsync(bytes);
        Assert.True(await raw.ReadUntilClosedAsync(Short));
        Assert.Contains(reason, raw.LastDebug());
    }

    [Theory]
    [InlineData(new byte[] { 0x01, 0x01 }, "longer than")]
    [InlineData(new byte[] { 0x00, 0x01, (byte)'X' }, "unknown packet type")]
    [InlineData(new byte[] { 0x00, 0x01, (byte)'L' }, "already logged in")]
    [InlineData(new byte[] { 0x00, 0x02, (byte)'R', 0 }, "heartbeat")]
    [InlineData(new byte[] { 0x00, 0x01, (byte)'U' }, "empty unsequenced")]
    public async Task AfterLogin_ProtocolError_DebugThenClosed(byte[] bytes, string reason)
    {
        await using var server = await StartAsync(inProcess: true);
        using var raw = await RawConnection.ConnectAsync(server.Port);
        await raw.LoginAsync("t1");
        Assert.NotNull(await raw.ReadPacketAsync(PacketType.LoginAccepted, Short));
        await raw.SendAsync(bytes);
        Assert.True(await raw.ReadUntilClosedAsync(Short));
        Assert.Contains(reason, raw.LastDebug());
    }

    [Fact]
    public async Task BadMessages_RejectedMalformed_SessionGoesOn()
    {
        await using var server = await StartAsync();
        await server.SetUpAsync(1_000_000_000, (Btc, 120_000));
        await using var t1 = await server.LoginAsync("t1");

        async Task<RejectCode> Send(byte[] message, uint token)
        {
            await t1.SendAsync(message);
            return (await t1.WaitForAsync(m => m.Token == token, Wait)).RejectCode;
        }
        byte[] Order(uint token, Action<byte[]> change)
        {
            var m = Inbound.NewOrder(token, 1, Btc, 0, 0, 0, 0, 0, 120_000, 1);
            change(m);
            return m;
        }
        Assert.Equal(RejectCode.Malformed, await Send([(byte)'Z', 0, 0, 0, 50], 50));                       // unknown type
        Assert.Equal(RejectCode.Malformed, await Send(Inbound.NewOrder(51, 1, Btc, 0, 0, 0, 0, 0, 1, 1)[..20], 51)); // truncated
        Assert.Equal(RejectCode.Malformed, await Send([.. Inbound.Query(52, 1), 0], 52));                    // one byte too many
        Assert.Equal(RejectCode.Malformed, await Send(Order(53, m => BinaryPrimitives.WriteInt32BigEndian(m.AsSpan(9), -5)), 53));
        Assert.Equal(RejectCode.Malformed, await Send(Order(54, m => m[16] = 0x80), 54));                    // unknown flag bit
        Assert.Equal(RejectCode.Malformed, await Send(Order(55, m => m[13] = 9), 55));                       // side 9: out of section 2's range
        Assert.Equal(RejectCode.Malformed, await Send(Order(56, m => m[17] = 7), 56));                       // STP 7
        Assert.Equal(RejectCode.InvalidQuantity, await Send(Order(57, m => BinaryPrimitives.WriteInt64BigEndian(m.AsSpan(26), -1)), 57));
        Assert.Equal(RejectCode.NotAuthorized, await Send(Order(58, m => BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(5), uint.MaxValue)), 58));
        await t1.SendAsync(Inbound.NewOrder(0, 1, Btc, 0, 0, 0, 0, 0, 120_000, 1));                          // token 0
        Assert.Equal(RejectCode.Malformed, (await t1.WaitForAsync(m => m.Type == 'J' && m.Token == 0, Wait)).RejectCode);

        t1.NextToken = 100; // 57 reached the core (consumed); the gateway's rejections did not consume theirs
        var ok = await t1.PlaceAsync(1, Btc, 0, 119_000, 1);
        Assert.Equal('A', (await t1.WaitForAsync(m => m.Token == ok, Wait)).Type);
        Assert.False(t1.Closed.IsCompleted);
        await server.StopAndCheckAsync();
    }

    /// <summary>
    /// Every RATE_LIMITED answer is a journal record (a gateway reject), so a client far over its rate limit must not turn
    /// every excess message into one: past <c>maxRateLimitedPerSecond</c> such answers (per second, and at once) the
    /// connection is closed. Interleaved accepted messages do not reset it (they reset only the consecutive flood count).
    /// </summary>
    [Fact]
    public async Task RateLimitedAnswers_AreBoundedPerSecond_BeyondThatTheConnectionIsClosed()
    {
        const int Bound = 30;
        var server = await StartAsync(l => l with { RatePerSecond = 20, RateBurst = 5, FloodRejects = 100_000, MaxRateLimitedPerSecond = Bound });
        var journal = server.Journal!;
        await using (server)
        {
            await using var t1 = await server.LoginAsync("t1"); // its token query takes one from the bucket
            var query = Inbound.Query(7, 0);
            var packets = new byte[2_000 * (3 + query.Length)];
            for (var i = 0; i < 2_000; i++)
            {
                packets[i * (3 + query.Length) + 1] = (byte)(query.Length + 1);
                packets[i * (3 + query.Length) + 2] = PacketType.UnsequencedData;
                query.CopyTo(packets, i * (3 + query.Length) + 3);
            }
            var sw = System.Diagnostics.Stopwatch.StartNew();
            // Slowly enough that the rate limit lets some through between the rejects (which resets the consecutive count).
            for (var chunk = 0; chunk < 20 && !t1.Closed.IsCompleted; chunk++)
            {
                await t1.SendRawAsync(packets.AsMemory(chunk * 100 * (3 + query.Length), 100 * (3 + query.Length)));
                await Task.Delay(100);
            }
            await t1.Closed.WaitAsync(Wait);
            var elapsed = sw.Elapsed.TotalSeconds;
            Assert.Contains($"flood: more than {Bound} rate-limited messages a second", t1.Debug);
            var limited = t1.History.Count(m => m.RejectCode == RejectCode.RateLimited);
            await server.StopAndCheckAsync();

            // The journal holds the RATE_LIMITED answers the bucket allowed (its burst, then Bound a second), each one the
            // client received before the goodbye; the rest of the 2,000 messages were never journaled.
            var journaled = 0;
            using (var reader = new Core.Journal.JournalReader(journal))
                while (reader.Read(out var c) == Core.Journal.JournalReadStatus.Record)
                    if (c.Type == Core.Commands.CommandType.GatewayReject && c.RejectedCode == RejectCode.RateLimited) journaled++;
            Assert.InRange(journaled, Bound, Bound + (int)Math.Ceiling(Bound * elapsed) + 1);
            Assert.Equal(journaled, limited);
        }
    }

    [Fact]
    public async Task Flood_RateLimitedThenDisconnected()
    {
        await using var server = await StartAsync(l => l with { RatePerSecond = 50, RateBurst = 20, FloodRejects = 40 }, inProcess: true);
        await using var t1 = await server.LoginAsync("t1"); // its token query takes one from the bucket
        var query = Inbound.Query(0, 0);
        byte[] Packets(int count)
        {
            var packets = new byte[count * (3 + query.Length)];
            for (var i = 0; i < count; i++)
            {
                packets[i * (3 + query.Length) + 1] = (byte)(query.Length + 1);
                packets[i * (3 + query.Length) + 2] = PacketType.UnsequencedData;
                query.CopyTo(packets, i * (3 + query.Length) + 3);
            }
            return packets;
        }
        // The burst (one went to the token query) is answered: queries travel the exchange, so wait for the answers
        // before the flood that closes the connection.
        await t1.SendRawAsync(Packets(19));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (t1.History.Count(m => m.Type == 'Q') < 19 && sw.Elapsed < Wait) await Task.Delay(10);
        await t1.SendRawAsync(Packets(200));
        await t1.Closed.WaitAsync(Short);
        Assert.Contains("flood", t1.Debug);
        var answers = t1.History.Count(m => m.Type == 'Q');
        var limited = t1.History.Count(m => m.RejectCode == RejectCode.RateLimited);
        Assert.True(answers >= 19, $"{answers} answered");
        Assert.True(limited >= 40, $"{limited} rate limited");
        // Others are unaffected.
        await using var t2 = await server.LoginAsync("t2");
    }

    [Fact]
    public async Task ClientThatNeverReads_Dropped_WhileAnotherGoesOn()
    {
        await using var server = await StartAsync(
            l => l with
            {
                MaxQueuedMessages = 200, TransportBufferBytes = 4096, SocketSendBufferBytes = 4096, RatePerSecond = 1_000_000,
                RateBurst = 1_000_000,
            },
            inProcess: true);
        using var sleeper = await RawConnection.ConnectAsync(server.Port, receiveBufferBytes: 4096);
        await sleeper.LoginAsync("t1", sequence: 0);
        await using var active = await server.LoginAsync("t1"); // the same user: every answer goes to both connections
        await Task.Delay(100);
        Assert.Equal(2, server.Server.Connections);

        const int n = 2_000;
        var query = Inbound.Query(0, 0);
        var burst = new byte[10 * (3 + query.Length)];
        for (var i = 0; i < 10; i++)
        {
            burst[i * (3 + query.Length) + 1] = (byte)(query.Length + 1);
            burst[i * (3 + query.Length) + 2] = PacketType.UnsequencedData;
            query.CopyTo(burst, i * (3 + query.Length) + 3);
        }
        for (var sent = 0; sent < n; sent += 10)
        {
            await active.SendRawAsync(burst);
            for (var i = 0; i < 10; i++) await active.WaitForAsync(m => m.Type == 'Q', Wait);
        }
        Assert.True(await sleeper.ReadUntilClosedAsync(Short), "the reader that never reads was not dropped");
        var token = await active.PlaceAsync(1, Btc, 0, 1, 1);
        Assert.Equal('J', (await active.WaitForAsync(m => m.Token == token, Wait)).Type); // no deposit: UNKNOWN_ACCOUNT
        Assert.Equal(1, server.Server.Connections);
    }

    [Fact]
    public async Task ClientThatNeverReads_DefaultBuffers_DroppedBeforeTheKernelCanHideItsBacklog()
    {
        // Default transport and socket buffers: 8,000 answers of 61 bytes (488 KB) are far more than 200 messages plus
        // the bounded buffers (64 KiB + 2 x 64 KiB of SO_SNDBUF), but would fit in an autotuned 4 MiB socket buffer.
        await using var server = await StartAsync(
            l => l with { MaxQueuedMessages = 200, RatePerSecond = 1_000_000, RateBurst = 1_000_000 }, inProcess: true);
        using var sleeper = await RawConnection.ConnectAsync(server.Port, receiveBufferBytes: 4096);
        await sleeper.LoginAsync("t1", sequence: 0);
        await using var active = await server.LoginAsync("t1");
        await Task.Delay(100);

        var query = Inbound.Query(0, 0);
        var burst = new byte[100 * (3 + query.Length)];
        for (var i = 0; i < 100; i++)
        {
            burst[i * (3 + query.Length) + 1] = (byte)(query.Length + 1);
            burst[i * (3 + query.Length) + 2] = PacketType.UnsequencedData;
            query.CopyTo(burst, i * (3 + query.Length) + 3);
        }
        for (var sent = 0; sent < 8_000 && server.Server.Connections > 1; sent += 100)
        {
            await active.SendRawAsync(burst);
            for (var i = 0; i < 100; i++) await active.WaitForAsync(m => m.Type == 'Q', Wait);
        }

        Assert.True(await sleeper.ReadUntilClosedAsync(Short), "the reader that never reads was not dropped");
        Assert.Equal(1, server.Server.Connections);
    }

    [Fact]
    public async Task TrickledLogin_ClosedAtTheLoginTimeout()
    {
        await using var server = await StartAsync(l => l with { LoginTimeoutMs = 700 }, inProcess: true);
        using var raw = await RawConnection.ConnectAsync(server.Port);
        var login = LoginCodec.Request("t1", Password("t1"), "", 1);
        var packet = new byte[] { 0, 47, PacketType.LoginRequest }.Concat(login).ToArray();
        var started = DateTime.UtcNow;
        var trickle = Task.Run(async () =>
        {
            foreach (var b in packet)
            {
                try
                {
                    await raw.SendAsync(b);
                }
                catch (System.Net.Sockets.SocketException)
                {
                    return;
                }
                await Task.Delay(200);
            }
        });
        // The whole packet would take 50 x 200 ms = 10 s to arrive: a close before 6 s is the login timeout, with room
        // for a loaded machine's scheduling (the bound was 2 s and failed under a load average of 30).
        Assert.True(await raw.ReadUntilClosedAsync(TimeSpan.FromSeconds(6)));
        Assert.InRange((DateTime.UtcNow - started).TotalMilliseconds, 600, 6_000);
        Assert.Null(raw.Packets().FirstOrDefault(p => p[0] == PacketType.LoginAccepted));
        await trickle;
    }

    [Fact]
    public async Task TrickledMessageAfterLogin_ClosedAtTheIdleTimeout()
    {
        await using var server = await StartAsync(l => l with { IdleTimeoutMs = 800 }, inProcess: true);
        using var raw = await RawConnection.ConnectAsync(server.Port);
        await raw.LoginAsync("t1");
        Assert.NotNull(await raw.ReadPacketAsync(PacketType.LoginAccepted, Short));
        var message = Inbound.Query(0, 1);
        var packet = new byte[] { 0, (byte)(message.Length + 1), PacketType.UnsequencedData }.Concat(message).ToArray();
        var started = DateTime.UtcNow;
        var trickle = Task.Run(async () =>
        {
            // Bytes keep coming, but never a whole packet within the idle timeout.
            for (var i = 0; i < packet.Length - 1; i++)
            {
                try
                {
                    await raw.SendAsync(packet[i]);
                }
                catch (System.Net.Sockets.SocketException)
                {
                    return;
                }
                await Task.Delay(150);
            }
        });
        Assert.True(await raw.ReadUntilClosedAsync(Short));
        Assert.InRange((DateTime.UtcNow - started).TotalMilliseconds, 700, 2_500);
        await trickle;
    }

    [Fact]
    public async Task TruncatedPacketThenSilence_ClosedAtTheIdleTimeout()
    {
        await using var server = await StartAsync(l => l with { IdleTimeoutMs = 600 }, inProcess: true);
        using var raw = await RawConnection.ConnectAsync(server.Port);
        await raw.LoginAsync("t1");
        Assert.NotNull(await raw.ReadPacketAsync(PacketType.LoginAccepted, Short));
        await raw.SendAsync(0, 40, PacketType.UnsequencedData, (byte)'O', 0, 0);
        Assert.True(await raw.ReadUntilClosedAsync(Short));
    }

    [Fact]
    public async Task ThreeHundredConcurrentConnections_AllServed()
    {
        // All from one address, all logging in at once: the per-address caps are raised to let them.
        await using var server = await StartAsync(l => l with
        {
            MaxSessionsPerUser = 100, LoginTimeoutMs = 10_000, MaxConnectionsPerAddress = 300, MaxUnauthenticatedPerAddress = 300,
            MaxPendingPasswordChecks = 300, MaxUnauthenticatedConnections = 300,
        });
        var users = new[] { "t1", "t2", "t3", "t4" };
        var clients = await Task.WhenAll(Enumerable.Range(0, 300).Select(i =>
            ExchangeClient.LoginAsync("127.0.0.1", server.Port, users[i % 4], Password(users[i % 4]), 0, TimeSpan.FromSeconds(20))));
        Assert.Equal(300, server.Server.Connections);
        await Task.WhenAll(clients.Select(async (c, i) =>
        {
            await c.QueryAsync(0, token: (uint)i);
            await c.WaitForAsync(m => m.Type == 'Q' && m.Token == (uint)i, TimeSpan.FromSeconds(20));
        }));
        await Task.WhenAll(clients.Select(c => c.LogoutAsync()));
        await Task.WhenAll(clients.Select(c => c.Closed.WaitAsync(TimeSpan.FromSeconds(10))));
        foreach (var c in clients) await c.DisposeAsync();
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (server.Server.Connections > 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(0, server.Server.Connections);
        await server.StopAndCheckAsync();
    }

    [Fact]
    public async Task RandomGarbage_FromManyConnections_ServerStillServes()
    {
        await using var server = await StartAsync();
        var random = new Random(7);
        for (var c = 0; c < 20; c++)
        {
            using var raw = await RawConnection.ConnectAsync(server.Port);
            if (c % 2 == 0)
            {
                await raw.LoginAsync("t" + (1 + c % 4));
                await raw.ReadPacketAsync(PacketType.LoginAccepted, Short);
            }
            var garbage = new byte[random.Next(1, 2_000)];
            random.NextBytes(garbage);
            try
            {
                await raw.SendAsync(garbage);
            }
            catch (System.Net.Sockets.SocketException)
            {
                // Closed already: fine.
            }
            await raw.ReadUntilClosedAsync(TimeSpan.FromMilliseconds(300));
        }
        await using var t1 = await server.LoginAsync("t1");
        await t1.QueryAsync(0);
        Assert.Equal('Q', (await t1.ReceiveAsync(Wait)).Type);
        await server.StopAndCheckAsync();
    }
}
