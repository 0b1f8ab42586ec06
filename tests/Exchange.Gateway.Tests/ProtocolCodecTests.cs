using System.Text;
using Exchange.Client.Protocol;
using Exchange.Client;
using Exchange.Core.Events;
using Exchange.Gateway.Protocol;

namespace Exchange.Gateway.Tests;

/// <summary>The byte layouts of docs/protocol.md: what the server writes, the client reads back.</summary>
public sealed class ProtocolCodecTests
{
    [Fact]
    public void LoginRequest_FieldsArePaddedAsTheSpecificationSays()
    {
        var p = LoginCodec.Request("bob", "secret", "S1", 42);
        Assert.Equal(46, p.Length);
        Assert.Equal("bob   ", Encoding.ASCII.GetString(p, 0, 6));
        Assert.Equal("secret    ", Encoding.ASCII.GetString(p, 6, 10));
        Assert.Equal("        S1", Encoding.ASCII.GetString(p, 16, 10));
        Assert.Equal(new string(' ', 18) + "42", Encoding.ASCII.GetString(p, 26, 20));
        Assert.True(LoginCodec.TryParseRequest(p, out var user, out var password, out var session, out var sequence));
        Assert.Equal(("bob", "secret", "S1", 42L), (user, Encoding.ASCII.GetString(password), session, sequence));
    }

    [Theory]
    [InlineData(26, (byte)'x')]   // a letter in the sequence number
    [InlineData(3, (byte)0x01)]   // a control character in the username
    public void LoginRequest_BadField_NotParsed(int offset, byte value)
    {
        var p = LoginCodec.Request("bob", "secret", "", 42);
        p[offset] = value;
        Assert.False(LoginCodec.TryParseRequest(p, out _, out _, out _, out _));
    }

    [Fact]
    public void LoginAccepted_RoundTrips()
    {
        var p = new byte[30];
        LoginCodec.Accepted(p, "2511230ABC", 123_456);
        Assert.Equal("2511230ABC" + new string(' ', 14) + "123456", Encoding.ASCII.GetString(p));
        Assert.True(LoginCodec.TryParseAccepted(p, out var session, out var sequence));
        Assert.Equal(("2511230ABC", 123_456L), (session, sequence));
    }

    [Fact]
    public void InboundBuilders_HaveTheDocumentedLengthsAndDecodeBack()
    {
        var messages = new[]
        {
            Inbound.NewOrder(7, 3, 1, 1, 0, 2, 1, 2, 123, 456),
            Inbound.Replace(8, 3, 99, 7, 124, 400),
            Inbound.Cancel(9, 3, 0, 7),
            Inbound.CancelAllOrders(10, 3),
            Inbound.Query(0, 3),
            Inbound.Mark(11, 2, 5_000),
            Inbound.FundingRate(12, 2, -75),
            Inbound.DepositTo(13, 4, 1_000_000),
            Inbound.WithdrawFrom(14, 4, 500),
            Inbound.Insurance(15, 77),
        };
        foreach (var m in messages)
        {
            Assert.Equal(Inbound.LengthOf(m[0]), m.Length);
            Assert.Equal(InboundStatus.Ok, InboundDecoder.Decode(m, out _));
        }
        InboundDecoder.Decode(messages[0], out var order);
        Assert.Equal((7u, 3u, 1, (byte)1, (byte)0, (byte)2, (byte)1, (byte)2, 123L, 456L),
            (order.Token, order.Account, order.Instrument, order.Side, order.OrderType, order.TimeInForce, order.Flags, order.Stp, order.Price, order.Quantity));
        InboundDecoder.Decode(messages[1], out var replace);
        Assert.Equal((8u, 99L, 7u, 124L, 400L), (replace.Token, replace.OrderId, replace.OrderToken, replace.Price, replace.Quantity));
        InboundDecoder.Decode(messages[3], out var all);
        Assert.Equal(-1, all.Instrument);
        InboundDecoder.Decode(messages[6], out var funding);
        Assert.Equal((2, -75L), (funding.Instrument, funding.Amount));
        Assert.Equal(InboundStatus.BadLength, InboundDecoder.Decode(messages[0][..33], out var cut));
        Assert.Equal(7u, cut.Token);
        Assert.Equal(InboundStatus.UnknownType, InboundDecoder.Decode([(byte)'z', 0, 0, 0, 1], out _));
    }

    [Fact]
    public void Executed_WrittenAtItsOffsets_ReadBack()
    {
        var d = new byte[Outbound.OrderExecutedLength];
        Assert.Equal(67, OutboundEncoder.Executed(d, 1_700_000_000_000_000_000, 5, 3, 1, 42, 6, 1_001, 1, Outbound.Maker, 120_000, 25, -300));
        Assert.Equal((byte)'E', d[0]);
        var m = ServerMessage.Parse(9, d)!;
        Assert.Equal((9L, 'E', 1_700_000_000_000_000_000L, 5u, 3, 1, 42L, 6u, 1_001L, (byte)1, 'M', 120_000L, 25L, -300L),
            (m.Sequence, m.Type, m.Timestamp, m.Token, m.Account, m.Instrument, m.OrderId, m.OrderToken, m.TradeId, m.Side,
                m.Liquidity, m.Price, m.Quantity, m.Fee));
    }

    [Fact]
    public void EveryOutboundMessage_HasItsDocumentedLength()
    {
        var d = new byte[1024];
        Assert.Equal(50, OutboundEncoder.Accepted(d, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 6, 7));
        Assert.Equal(31, OutboundEncoder.Rejected(d, 1, 2, (byte)'O', (byte)RejectCode.Malformed, 3, -1, 0));
        Assert.Equal(51, OutboundEncoder.Replaced(d, 1, 2, 3, 4, 5, 6, 0, 1, 7, 8));
        Assert.Equal(51, OutboundEncoder.Canceled(d, 1, 2, 3, 4, 5, 6, 0, 1, 7, 8));
        Assert.Equal(25, OutboundEncoder.CancelAllDone(d, 1, 2, 3, -1, 4));
        Assert.Equal(45, OutboundEncoder.PositionUpdate(d, 1, 2, 3, 4, 5, 6, 7));
        Assert.Equal(53, OutboundEncoder.BalanceUpdate(d, 1, 2, 3, 4, 5, 6, 7, 8));
        Assert.Equal(26, OutboundEncoder.Transfer(d, 1, 2, 1, 3, 4));
        Assert.Equal(25, OutboundEncoder.MarkSet(d, 1, 2, 3, 4));
        Assert.Equal(37, OutboundEncoder.FundingApplied(d, 1, 2, 3, 4, 5, 6));
        Assert.Equal(37, OutboundEncoder.FundingPayment(d, 1, 2, 3, 4, 5, 6));
        Assert.Equal(35, OutboundEncoder.Liquidation(d, 1, 2, 3, 1, 0, 4, 5));
        Assert.Equal(29, OutboundEncoder.AccountAmount(d, Outbound.LiquidationFee, 1, 2, 3, 4, 5));
        Assert.Equal(47, OutboundEncoder.AutoDeleverage(d, 1, 2, 3, 4, 2, 0, 5, 6, 7));
        Assert.Equal(25, OutboundEncoder.Haircut(d, 1, 2, 3, 4));
        Assert.Equal(58, OutboundEncoder.AccountState(d, 1, 2, 3, 4, 5, 6, 7, 8, 9, 2));
        Assert.Equal(45, OutboundEncoder.AccountStateEntry(d.AsSpan(58), 0, 1, 2, 3, 4, 5, 3));
        Assert.Equal(45, OutboundEncoder.AccountStateEntry(d.AsSpan(103), 2, -1, -2, -3, 0, 0, 1));
        var q = ServerMessage.Parse(1, d.AsSpan(0, 148))!;
        Assert.Equal((3, 4L, 8, 9u), (q.Account, q.Balance, (int)q.Count, q.NextToken));
        Assert.Equal(new[] { (0, 1L, (byte)3), (2, -1L, (byte)1) }, q.Positions.Select(p => (p.Instrument, p.Position, p.AdlQuintile)));
    }
}
