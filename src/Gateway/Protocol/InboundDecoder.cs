using System.Buffers.Binary;
using Exchange.Client.Protocol;

namespace Exchange.Gateway.Protocol;

/// <summary>Decodes inbound application messages at their fixed offsets; never throws.</summary>
internal static class InboundDecoder
{
    /// <summary>
    /// Decodes <paramref name="m"/>. Whatever the status, <see cref="InboundMessage.Type"/> and (when the message is
    /// long enough) <see cref="InboundMessage.Token"/> are filled, so that a rejection can echo them.
    /// </summary>
    public static InboundStatus Decode(ReadOnlySpan<byte> m, out InboundMessage msg)
    {
        msg = default;
        if (m.IsEmpty) return InboundStatus.UnknownType;
        msg.Type = m[0];
        if (m.Length >= 5) msg.Token = BinaryPrimitives.ReadUInt32BigEndian(m[1..]);
        var expected = Inbound.LengthOf(msg.Type);
        if (expected == 0) return InboundStatus.UnknownType;
        if (m.Length != expected) return InboundStatus.BadLength;
        switch (msg.Type)
        {
            case Inbound.EnterOrder:
                msg.Account = BinaryPrimitives.ReadUInt32BigEndian(m[5..]);
                msg.Instrument = BinaryPrimitives.ReadInt32BigEndian(m[9..]);
                msg.Side = m[13];
                msg.OrderType = m[14];
                msg.TimeInForce = m[15];
                msg.Flags = m[16];
                msg.Stp = m[17];
                msg.Price = BinaryPrimitives.ReadInt64BigEndian(m[18..]);
                msg.Quantity = BinaryPrimitives.ReadInt64BigEndian(m[26..]);
                break;
            case Inbound.ReplaceOrder:
                msg.Account = BinaryPrimitives.ReadUInt32BigEndian(m[5..]);
                msg.OrderId = BinaryPrimitives.ReadInt64BigEndian(m[9..]);
                msg.OrderToken = BinaryPrimitives.ReadUInt32BigEndian(m[17..]);
                msg.Price = BinaryPrimitives.ReadInt64BigEndian(m[21..]);
                msg.Quantity = BinaryPrimitives.ReadInt64BigEndian(m[29..]);
                msg.Instrument = -1;
                break;
            case Inbound.CancelOrder:
                msg.Account = BinaryPrimitives.ReadUInt32BigEndian(m[5..]);
                msg.OrderId = BinaryPrimitives.ReadInt64BigEndian(m[9..]);
                msg.OrderToken = BinaryPrimitives.ReadUInt32BigEndian(m[17..]);
                msg.Instrument = -1;
                break;
            case Inbound.CancelAll:
                msg.Account = BinaryPrimitives.ReadUInt32BigEndian(m[5..]);
                msg.Instrument = BinaryPrimitives.ReadInt32BigEndian(m[9..]);
                break;
            case Inbound.AccountQuery:
                msg.Account = BinaryPrimitives.ReadUInt32BigEndian(m[5..]);
                msg.Instrument = -1;
                break;
            case Inbound.SetMark:
                msg.Instrument = BinaryPrimitives.ReadInt32BigEndian(m[5..]);
                msg.Price = BinaryPrimitives.ReadInt64BigEndian(m[9..]);
                break;
            case Inbound.Funding:
                msg.Instrument = BinaryPrimitives.ReadInt32BigEndian(m[5..]);
                msg.Amount = BinaryPrimitives.ReadInt64BigEndian(m[9..]);
                break;
            case Inbound.Deposit:
            case Inbound.Withdraw:
                msg.Account = BinaryPrimitives.ReadUInt32BigEndian(m[5..]);
                msg.Amount = BinaryPrimitives.ReadInt64BigEndian(m[9..]);
                msg.Instrument = -1;
                break;
            case Inbound.ResumeTrading:
                msg.Instrument = BinaryPrimitives.ReadInt32BigEndian(m[5..]);
                break;
            case Inbound.InsuranceDeposit:
                msg.Amount = BinaryPrimitives.ReadInt64BigEndian(m[5..]);
                msg.Instrument = -1;
                break;
        }
        return InboundStatus.Ok;
    }
}
