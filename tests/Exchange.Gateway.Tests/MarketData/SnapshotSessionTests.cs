using Exchange.Client;
using Exchange.Client.Protocol;
using Exchange.Gateway.Tests.Support;
using static Exchange.Gateway.Tests.Support.TestServer;

namespace Exchange.Gateway.Tests.MarketData;

/// <summary>
/// The snapshot port (docs/protocol.md section 12), GLIMPSE-style, over real sockets: a session of its own whose every
/// packet a plain SoupBinTCP client knows (Login Accepted, Sequenced Data numbered from 1, End of Session), ending with
/// End of Snapshot naming where the order log continues; the market-data port itself sends only the order log.
/// </summary>
public sealed class SnapshotSessionTests
{
    private const long Price = 120_000;

    [Fact]
    public async Task SnapshotSession_IsPlainSoupBinTcp_FromOne_EndOfSnapshotNamesTheNextLogMessage_ThenEndOfSession()
    {
        await using var server = await StartAsync(inProcess: true);
        await server.SetUpAsync(1_000_000_000, (Btc, Price));
        await using var t1 = await server.LoginAsync("t1");
        var token = await t1.PlaceAsync(1, Btc, 0, Price - 10, 7);
        var accepted = await t1.WaitForAsync(m => m.Token == token, Wait);

        using var raw = await RawConnection.ConnectAsync(server.Server.SnapshotPort);
        await raw.LoginAsync("t2", sequence: 0);
        Assert.True(await raw.ReadUntilClosedAsync(Wait), "the server did not end the snapshot session");

        var packets = raw.Packets().Where(p => p[0] != PacketType.ServerHeartbeat).ToList();
        Assert.Equal(PacketType.LoginAccepted, packets[0][0]);
        Assert.True(LoginCodec.TryParseAccepted(packets[0].AsSpan(1), out var session, out var first));
        Assert.Equal((server.Server.SessionId, 1L), (session, first));
        Assert.Equal(PacketType.EndOfSession, packets[^1][0]);
        var body = packets[1..^1];
        Assert.All(body, p => Assert.Equal(PacketType.SequencedData, p[0]));
        var messages = body.Select((p, i) => MarketDataMessage.Parse(i + 1, true, p.AsSpan(1))!).ToList();
        Assert.Equal("AMIG", new string(messages.Select(m => m.Type).ToArray()));
        Assert.Equal((accepted.OrderId, Price - 10, 7L), (messages[0].OrderId, messages[0].Price, messages[0].Quantity));
        Assert.Equal(Price, messages[1].Value);
        var next = messages[^1].Value;
        Assert.Equal(server.Server.Context.MarketData.Feed.Log.Count + 1, next);

        // The market-data port with requested sequence 0 starts at that same next message: no snapshot, no replay.
        using var live = await RawConnection.ConnectAsync(server.Server.MarketDataPort);
        await live.LoginAsync("t3", sequence: 0);
        var liveAccepted = await live.ReadPacketAsync(PacketType.LoginAccepted, Wait);
        Assert.True(LoginCodec.TryParseAccepted(liveAccepted!.AsSpan(1), out _, out var liveFirst));
        Assert.Equal(next, liveFirst);
        await t1.CancelAsync(1, accepted.OrderId);
        var delete = await live.ReadPacketAsync(PacketType.SequencedData, Wait);
        Assert.Equal((byte)'D', delete![1]);
        Assert.DoesNotContain(live.Packets(), p => p[0] == PacketType.UnsequencedData);
        await server.StopAndCheckAsync();
    }

    [Fact]
    public async Task Snapshot_OfAnEmptyExchange_IsInsuranceZeroThenEnd_WithZeroHeaders()
    {
        await using var server = await StartAsync(inProcess: true);
        await using var md = await MarketDataClient.JoinAsync("127.0.0.1", server.Server.MarketDataPort, server.Server.SnapshotPort, "t1",
            Password("t1"), Wait, keepHistory: true);

        var snapshot = md.History.Select(m => (m.Sequence, m.InSnapshot, m.Type, m.Timestamp, m.CommandSequence, m.Value)).ToList();
        Assert.Equal([(1L, true, 'I', 0L, 0L, 0L), (2L, true, 'G', 0L, 0L, 1L)], snapshot);
        Assert.Equal(1, md.Read(b => b.NextSequence));
        await server.StopAndCheckAsync();
    }
}
