using System.Buffers.Binary;

namespace Exchange.Client.Protocol;

/// <summary>
/// Client-to-exchange application messages (inside SoupBinTCP Unsequenced Data): type letters, exact lengths and
/// builders. Layouts are in docs/protocol.md section 3; every integer is big-endian.
/// </summary>
public static class Inbound
{
    public const byte EnterOrder = (byte)'O';
    public const byte ReplaceOrder = (byte)'U';
    public const byte CancelOrder = (byte)'X';
    public const byte CancelAll = (byte)'C';
    public const byte AccountQuery = (byte)'Q';
    public const byte SetMark = (byte)'P';
    public const byte Funding = (byte)'F';
    public const byte Deposit = (byte)'D';
    public const byte Withdraw = (byte)'W';
    public const byte InsuranceDeposit = (byte)'I';
    public const byte ResumeTrading = (byte)'R';

    public const int EnterOrderLength = 34;
    public const int ReplaceOrderLength = 37;
    public const int CancelOrderLength = 21;
    public const int CancelAllLength = 13;
    public const int AccountQueryLength = 9;
    public const int SetMarkLength = 17;
    public const int FundingLength = 17;
    public const int DepositLength = 17;
    public const int WithdrawLength = 17;
    public const int InsuranceDepositLength = 13;
    public const int ResumeTradingLength = 9;

    /// <summary>Bit 0 of the flags byte.</summary>
    public const byte PostOnly = 1;
    /// <summary>Bit 1 of the flags byte.</summary>
    public const byte ReduceOnly = 2;

    /// <summary>The exact length of a message type, or 0 for an unknown type.</summary>
    public static int LengthOf(byte type) => type switch
    {
        EnterOrder => EnterOrderLength,
        ReplaceOrder => ReplaceOrderLength,
        CancelOrder => CancelOrderLength,
        CancelAll => CancelAllLength,
        AccountQuery => AccountQueryLength,
        SetMark => SetMarkLength,
        Funding => FundingLength,
        Deposit => DepositLength,
        Withdraw => WithdrawLength,
        InsuranceDeposit => InsuranceDepositLength,
        ResumeTrading => ResumeTradingLength,
        _ => 0,
    };

    public static byte[] NewOrder(uint token, uint account, int instrument, byte side, byte orderType, byte tif,
        byte flags, byte stp, long price, long quantity)
    {
        var m = new byte[EnterOrderLength];
        WriteNewOrder(m, token, account, instrument, side, orderType, tif, flags, stp, price, quantity);
        return m;
    }

    /// <summary>Writes an Enter Order into <paramref name="m"/> (no allocation, for pre-encoded traffic); returns its length.</summary>
    public static int WriteNewOrder(Span<byte> m, uint token, uint account, int instrument, byte side, byte orderType,
        byte tif, byte flags, byte stp, long price, long quantity)
    {
        Header(m, EnterOrder, EnterOrderLength, token);
        BinaryPrimitives.WriteUInt32BigEndian(m[5..], account);
        BinaryPrimitives.WriteInt32BigEndian(m[9..], instrument);
        m[13] = side;
        m[14] = orderType;
        m[15] = tif;
        m[16] = flags;
        m[17] = stp;
        BinaryPrimitives.WriteInt64BigEndian(m[18..], price);
        BinaryPrimitives.WriteInt64BigEndian(m[26..], quantity);
        return EnterOrderLength;
    }

    public static byte[] Replace(uint token, uint account, long orderId, uint orderToken, long price, long quantity)
    {
        var m = new byte[ReplaceOrderLength];
        WriteReplace(m, token, account, orderId, orderToken, price, quantity);
        return m;
    }

    /// <summary>Writes a Replace Order into <paramref name="m"/>; returns its length.</summary>
    public static int WriteReplace(Span<byte> m, uint token, uint account, long orderId, uint orderToken, long price, long quantity)
    {
        Header(m, ReplaceOrder, ReplaceOrderLength, token);
        BinaryPrimitives.WriteUInt32BigEndian(m[5..], account);
        BinaryPrimitives.WriteInt64BigEndian(m[9..], orderId);
        BinaryPrimitives.WriteUInt32BigEndian(m[17..], orderToken);
        BinaryPrimitives.WriteInt64BigEndian(m[21..], price);
        BinaryPrimitives.WriteInt64BigEndian(m[29..], quantity);
        return ReplaceOrderLength;
    }

    public static byte[] Cancel(uint token, uint account, long orderId, uint orderToken)
    {
        var m = new byte[CancelOrderLength];
        WriteCancel(m, token, account, orderId, orderToken);
        return m;
    }

    /// <summary>Writes a Cancel Order into <paramref name="m"/>; returns its length.</summary>
    public static int WriteCancel(Span<byte> m, uint token, uint account, long orderId, uint orderToken)
    {
        Header(m, CancelOrder, CancelOrderLength, token);
        BinaryPrimitives.WriteUInt32BigEndian(m[5..], account);
        BinaryPrimitives.WriteInt64BigEndian(m[9..], orderId);
        BinaryPrimitives.WriteUInt32BigEndian(m[17..], orderToken);
        return CancelOrderLength;
    }

    /// <summary>Writes the SoupBinTCP Unsequenced Data header (length, 'U') of a message of
    /// <paramref name="messageLength"/> bytes; the message follows at offset 3.</summary>
    public static int WritePacketHeader(Span<byte> packet, int messageLength)
    {
        BinaryPrimitives.WriteUInt16BigEndian(packet, (ushort)(1 + messageLength));
        packet[2] = PacketType.UnsequencedData;
        return 3;
    }

    /// <summary>Cancel every open order of the account, in one instrument or (−1) in all.</summary>
    public static byte[] CancelAllOrders(uint token, uint account, int instrument = -1)
    {
        var m = Start(CancelAll, CancelAllLength, token);
        BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(5), account);
        BinaryPrimitives.WriteInt32BigEndian(m.AsSpan(9), instrument);
        return m;
    }

    public static byte[] Query(uint token, uint account)
    {
        var m = Start(AccountQuery, AccountQueryLength, token);
        BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(5), account);
        return m;
    }

    public static byte[] Mark(uint token, int instrument, long price) => InstrumentValue(SetMark, token, instrument, price);

    public static byte[] FundingRate(uint token, int instrument, long ratePpm) => InstrumentValue(Funding, token, instrument, ratePpm);

    public static byte[] DepositTo(uint token, uint account, long amount) => AccountAmount(Deposit, token, account, amount);

    public static byte[] WithdrawFrom(uint token, uint account, long amount) => AccountAmount(Withdraw, token, account, amount);

    public static byte[] Insurance(uint token, long amount)
    {
        var m = Start(InsuranceDeposit, InsuranceDepositLength, token);
        BinaryPrimitives.WriteInt64BigEndian(m.AsSpan(5), amount);
        return m;
    }

    /// <summary>Ends a circuit-breaker halt of <paramref name="instrument"/> (admin).</summary>
    public static byte[] Resume(uint token, int instrument)
    {
        var m = Start(ResumeTrading, ResumeTradingLength, token);
        BinaryPrimitives.WriteInt32BigEndian(m.AsSpan(5), instrument);
        return m;
    }

    private static byte[] InstrumentValue(byte type, uint token, int instrument, long value)
    {
        var m = Start(type, 17, token);
        BinaryPrimitives.WriteInt32BigEndian(m.AsSpan(5), instrument);
        BinaryPrimitives.WriteInt64BigEndian(m.AsSpan(9), value);
        return m;
    }

    private static byte[] AccountAmount(byte type, uint token, uint account, long amount)
    {
        var m = Start(type, 17, token);
        BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(5), account);
        BinaryPrimitives.WriteInt64BigEndian(m.AsSpan(9), amount);
        return m;
    }

    private static byte[] Start(byte type, int length, uint token)
    {
        var m = new byte[length];
        Header(m, type, length, token);
        return m;
    }

    /// <summary>Clears the message and writes its type and token (every message starts with them).</summary>
    private static void Header(Span<byte> m, byte type, int length, uint token)
    {
        m = m[..length];
        m.Clear();
        m[0] = type;
        BinaryPrimitives.WriteUInt32BigEndian(m[1..], token);
    }
}
