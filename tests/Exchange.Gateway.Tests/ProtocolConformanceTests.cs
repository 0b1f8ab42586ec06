using System.Text;
using Exchange.Client.Protocol;
using Exchange.Core.Events;
using Exchange.Gateway.Tests.Support;
using static Exchange.Gateway.Tests.Support.TestServer;

namespace Exchange.Gateway.Tests;

/// <summary>
/// The behaviours docs/protocol.md states and a client written from it relies on, where the server once said otherwise
/// (issue 17's list): each test is the document's sentence, checked over a real socket.
/// </summary>
public sealed class ProtocolConformanceTests
{
    private const int Price = 120_000;

    [Fact]
    public async Task Funding_SendsTheBalanceUpdate_NoPositionUpdate()
    {
        await using var server = await StartAsync(inProcess: true);
        await server.SetUpAsync(1_000_000_000_000, (Btc, Price));
        await using var t1 = await server.LoginAsync("t1");
        await using var t2 = await server.LoginAsync("t2");
        await using var feed = await server.LoginAsync("feed");
        await t2.PlaceAsync(2, Btc, 1, Price, 3);
        await t2.WaitForAsync(m => m.Type == 'A', Wait);
        await t1.PlaceAsync(1, Btc, 0, Price, 3, tif: 1);
        await t1.WaitForAsync(m => m.Type == 'B', Wait);

        var f = await feed.FundingAsync(Btc, 100);
        await feed.WaitForAsync(m => m.Token == f, Wait);

        // Section 4: a P goes only for an instrument whose position changed; funding changes the balance alone.
        var payment = await t1.WaitForAsync(m => m.Type == 'R', Wait);
        var next = await t1.ReceiveAsync(Wait);
        Assert.Equal('B', next.Type);
        Assert.Equal(payment.Sequence + 1, next.Sequence);
        await server.StopAndCheckAsync();
    }

    [Theory]
    [InlineData(13, 2)]   // side
    [InlineData(14, 2)]   // order type
    [InlineData(15, 3)]   // time in force
    [InlineData(17, 3)]   // STP mode
    public async Task EnumerationOutOfRange_MalformedFromTheGateway_TokenNotConsumed(int offset, byte value)
    {
        await using var server = await StartAsync(inProcess: true);
        await server.SetUpAsync(1_000_000_000_000, (Btc, Price));
        await using var t1 = await server.LoginAsync("t1");
        var bad = Inbound.NewOrder(7, 1, Btc, 0, 0, 0, 0, 0, Price - 10, 1);
        bad[offset] = value;

        await t1.SendAsync(bad);
        var reject = await t1.WaitForAsync(m => m.Token == 7, Wait);
        Assert.Equal(('J', RejectCode.Malformed), (reject.Type, reject.RejectCode));

        // Section 7: a gateway MALFORMED does not consume its token, so the corrected message goes through with it.
        await t1.SendAsync(Inbound.NewOrder(7, 1, Btc, 0, 0, 0, 0, 0, Price - 10, 1));
        var accepted = await t1.WaitForAsync(m => m.Token == 7 && m.Sequence > reject.Sequence, Wait);
        Assert.Equal('A', accepted.Type);
        await server.StopAndCheckAsync();
    }

    [Fact]
    public async Task ClientDebugPacket_BeforeAndAfterLogin_IsIgnored()
    {
        await using var server = await StartAsync(inProcess: true);
        using var raw = await RawConnection.ConnectAsync(server.Port);

        await raw.SendPacketAsync(PacketType.Debug, Encoding.ASCII.GetBytes("client starting"));
        await raw.LoginAsync("t1", 0);
        Assert.NotNull(await raw.ReadPacketAsync(PacketType.LoginAccepted, Wait));
        await raw.SendPacketAsync(PacketType.Debug, Encoding.ASCII.GetBytes("still here"));
        await raw.SendPacketAsync(PacketType.UnsequencedData, Inbound.Query(0, 0));

        var answer = await raw.ReadPacketAsync(PacketType.SequencedData, Wait);
        Assert.NotNull(answer);
        Assert.Equal((byte)'Q', answer[1]);
        Assert.Null(raw.LastDebug());
        await server.StopAndCheckAsync();
    }

    [Theory]
    [InlineData("                   1")]   // padded with spaces, as SoupBinTCP 3.00 says
    [InlineData("00000000000000000001")]   // padded with zeros, as some clients and dissectors write it
    public async Task RequestedSequence_SpaceOrZeroPadded_BothAccepted(string sequence)
    {
        await using var server = await StartAsync(inProcess: true);
        await server.SetUpAsync(1_000_000, (Btc, Price));
        using var raw = await RawConnection.ConnectAsync(server.Port);
        var login = LoginCodec.Request("t1", Password("t1"), "", 0);
        Encoding.ASCII.GetBytes(sequence).CopyTo(login, 26);

        await raw.SendPacketAsync(PacketType.LoginRequest, login);

        var accepted = await raw.ReadPacketAsync(PacketType.LoginAccepted, Wait);
        Assert.NotNull(accepted);
        Assert.True(LoginCodec.TryParseAccepted(accepted.AsSpan(1), out _, out var next));
        Assert.Equal(1, next);
        var first = await raw.ReadPacketAsync(PacketType.SequencedData, Wait);   // the deposit's T, replayed from 1
        Assert.Equal((byte)'T', first![1]);
        await server.StopAndCheckAsync();
    }

    [Fact]
    public async Task RequestedSequence_AllBlanks_MeansZero_NewMessagesOnly()
    {
        await using var server = await StartAsync(inProcess: true);
        await server.SetUpAsync(1_000_000, (Btc, Price));
        using var raw = await RawConnection.ConnectAsync(server.Port);
        var login = LoginCodec.Request("t1", Password("t1"), "", 0);
        login.AsSpan(26, 20).Fill((byte)' ');

        await raw.SendPacketAsync(PacketType.LoginRequest, login);

        var accepted = await raw.ReadPacketAsync(PacketType.LoginAccepted, Wait);
        Assert.True(LoginCodec.TryParseAccepted(accepted!.AsSpan(1), out _, out var next));
        Assert.Equal(3, next);   // the deposit's T and B are behind: not replayed
        await server.StopAndCheckAsync();
    }
}
