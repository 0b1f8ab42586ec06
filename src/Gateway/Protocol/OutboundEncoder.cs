using System.Buffers.Binary;
using Exchange.Client.Protocol;

namespace Exchange.Gateway.Protocol;

/// <summary>
/// Writes outbound messages at their fixed offsets (docs/protocol.md section 4) into a span at least as long as the
/// message; each method returns the length written. Allocation-free.
/// </summary>
internal static class OutboundEncoder
{
    public static int Accepted(Span<byte> d, long ts, uint token, int account, int instrument, long orderId, byte side,
        byte type, byte tif, byte flags, byte stp, long price, long quantity)
    {
        Header(d, Outbound.OrderAccepted, ts, token);
        U32(d, 13, account);
        I32(d, 17, instrument);
        I64(d, 21, orderId);
        d[29] = side;
        d[30] = type;
        d[31] = tif;
        d[32] = flags;
        d[33] = stp;
        I64(d, 34, price);
        I64(d, 42, quantity);
        return Outbound.OrderAcceptedLength;
    }

    public static int Rejected(Span<byte> d, long ts, uint token, byte messageType, byte code, uint account, int instrument, long orderId)
    {
        Header(d, Outbound.Rejected, ts, token);
        d[13] = messageType;
        d[14] = code;
        BinaryPrimitives.WriteUInt32BigEndian(d[15..], account);
        I32(d, 19, instrument);
        I64(d, 23, orderId);
        return Outbound.RejectedLength;
    }

    public static int Replaced(Span<byte> d, long ts, uint token, int account, int instrument, long orderId, uint orderToken,
        byte side, byte flags, long price, long quantity)
    {
        Header(d, Outbound.OrderReplaced, ts, token);
        OrderFields(d, account, instrument, orderId, orderToken, side, flags, price, quantity);
        return Outbound.OrderReplacedLength;
    }

    public static int Canceled(Span<byte> d, long ts, uint token, int account, int instrument, long orderId, uint orderToken,
        byte side, byte reason, long price, long quantity)
    {
        Header(d, Outbound.OrderCanceled, ts, token);
        OrderFields(d, account, instrument, orderId, orderToken, side, reason, price, quantity);
        return Outbound.OrderCanceledLength;
    }

    public static int CancelAllDone(Span<byte> d, long ts, uint token, int account, int instrument, uint count)
    {
        Header(d, Outbound.CancelAllDone, ts, token);
        U32(d, 13, account);
        I32(d, 17, instrument);
        BinaryPrimitives.WriteUInt32BigEndian(d[21..], count);
        return Outbound.CancelAllDoneLength;
    }

    public static int Executed(Span<byte> d, long ts, uint token, int account, int instrument, long orderId, uint orderToken,
        long tradeId, byte side, byte liquidity, long price, long quantity, long fee)
    {
        Header(d, Outbound.OrderExecuted, ts, token);
        U32(d, 13, account);
        I32(d, 17, instrument);
        I64(d, 21, orderId);
        BinaryPrimitives.WriteUInt32BigEndian(d[29..], orderToken);
        I64(d, 33, tradeId);
        d[41] = side;
        d[42] = liquidity;
        I64(d, 43, price);
        I64(d, 51, quantity);
        I64(d, 59, fee);
        return Outbound.OrderExecutedLength;
    }

    public static int PositionUpdate(Span<byte> d, long ts, uint token, int account, int instrument, long position, long cost, long upnl)
    {
        Header(d, Outbound.PositionUpdate, ts, token);
        U32(d, 13, account);
        I32(d, 17, instrument);
        I64(d, 21, position);
        I64(d, 29, cost);
        I64(d, 37, upnl);
        return Outbound.PositionUpdateLength;
    }

    public static int BalanceUpdate(Span<byte> d, long ts, uint token, int account, long balance, long equity, long maintenance,
        long freeMargin, int openOrders)
    {
        Header(d, Outbound.BalanceUpdate, ts, token);
        U32(d, 13, account);
        I64(d, 17, balance);
        I64(d, 25, equity);
        I64(d, 33, maintenance);
        I64(d, 41, freeMargin);
        U32(d, 49, openOrders);
        return Outbound.BalanceUpdateLength;
    }

    public static int Transfer(Span<byte> d, long ts, uint token, byte kind, int account, long amount)
    {
        Header(d, Outbound.Transfer, ts, token);
        d[13] = kind;
        U32(d, 14, account);
        I64(d, 18, amount);
        return Outbound.TransferLength;
    }

    public static int MarkSet(Span<byte> d, long ts, uint token, int instrument, long price)
    {
        Header(d, Outbound.MarkPriceSet, ts, token);
        I32(d, 13, instrument);
        I64(d, 17, price);
        return Outbound.MarkPriceSetLength;
    }

    public static int TradingStatus(Span<byte> d, long ts, uint token, int instrument, byte status, long price, long reference)
    {
        Header(d, Outbound.TradingStatus, ts, token);
        I32(d, 13, instrument);
        d[17] = status;
        I64(d, 18, price);
        I64(d, 26, reference);
        return Outbound.TradingStatusLength;
    }

    public static int FundingApplied(Span<byte> d, long ts, uint token, int instrument, long rate, uint positions, long dust)
    {
        Header(d, Outbound.FundingApplied, ts, token);
        I32(d, 13, instrument);
        I64(d, 17, rate);
        BinaryPrimitives.WriteUInt32BigEndian(d[25..], positions);
        I64(d, 29, dust);
        return Outbound.FundingAppliedLength;
    }

    public static int FundingPayment(Span<byte> d, long ts, uint token, int account, int instrument, long position, long amount)
    {
        Header(d, Outbound.FundingPayment, ts, token);
        U32(d, 13, account);
        I32(d, 17, instrument);
        I64(d, 21, position);
        I64(d, 29, amount);
        return Outbound.FundingPaymentLength;
    }

    public static int Liquidation(Span<byte> d, long ts, uint token, int account, byte phase, byte flags, long amount, long amount2)
    {
        Header(d, Outbound.Liquidation, ts, token);
        U32(d, 13, account);
        d[17] = phase;
        d[18] = flags;
        I64(d, 19, amount);
        I64(d, 27, amount2);
        return Outbound.LiquidationLength;
    }

    /// <summary>Liquidation Fee (<c>G</c>) or Insurance Payment (<c>I</c>): same layout.</summary>
    public static int AccountAmount(Span<byte> d, byte type, long ts, uint token, int account, int instrument, long amount)
    {
        Header(d, type, ts, token);
        U32(d, 13, account);
        I32(d, 17, instrument);
        I64(d, 21, amount);
        return Outbound.LiquidationFeeLength;
    }

    public static int AutoDeleverage(Span<byte> d, long ts, uint token, int account, int instrument, byte role, byte side,
        long price, long quantity, long quote)
    {
        Header(d, Outbound.AutoDeleverage, ts, token);
        U32(d, 13, account);
        I32(d, 17, instrument);
        d[21] = role;
        d[22] = side;
        I64(d, 23, price);
        I64(d, 31, quantity);
        I64(d, 39, quote);
        return Outbound.AutoDeleverageLength;
    }

    public static int Haircut(Span<byte> d, long ts, uint token, int account, long amount)
    {
        Header(d, Outbound.Haircut, ts, token);
        U32(d, 13, account);
        I64(d, 17, amount);
        return Outbound.HaircutLength;
    }

    /// <summary>The fixed part of an Account State; entries follow at 58 + 45 x i (<see cref="AccountStateEntry"/>).</summary>
    public static int AccountState(Span<byte> d, long ts, uint token, int account, long balance, long equity, long maintenance,
        long freeMargin, int openOrders, uint nextToken, byte count)
    {
        Header(d, Outbound.AccountState, ts, token);
        U32(d, 13, account);
        I64(d, 17, balance);
        I64(d, 25, equity);
        I64(d, 33, maintenance);
        I64(d, 41, freeMargin);
        U32(d, 49, openOrders);
        BinaryPrimitives.WriteUInt32BigEndian(d[53..], nextToken);
        d[57] = count;
        return Outbound.AccountStateHeaderLength;
    }

    public static int AccountStateEntry(Span<byte> d, int instrument, long position, long cost, long upnl, long buyLots,
        long sellLots, byte adlQuintile)
    {
        I32(d, 0, instrument);
        I64(d, 4, position);
        I64(d, 12, cost);
        I64(d, 20, upnl);
        I64(d, 28, buyLots);
        I64(d, 36, sellLots);
        d[44] = adlQuintile;
        return Outbound.AccountStateEntryLength;
    }

    private static void OrderFields(Span<byte> d, int account, int instrument, long orderId, uint orderToken, byte side,
        byte extra, long price, long quantity)
    {
        U32(d, 13, account);
        I32(d, 17, instrument);
        I64(d, 21, orderId);
        BinaryPrimitives.WriteUInt32BigEndian(d[29..], orderToken);
        d[33] = side;
        d[34] = extra;
        I64(d, 35, price);
        I64(d, 43, quantity);
    }

    private static void Header(Span<byte> d, byte type, long ts, uint token)
    {
        d[0] = type;
        I64(d, 1, ts);
        BinaryPrimitives.WriteUInt32BigEndian(d[9..], token);
    }

    // Account ids are positive ints in the core and u32 on the wire.
    private static void U32(Span<byte> d, int offset, int value) => BinaryPrimitives.WriteUInt32BigEndian(d[offset..], (uint)value);

    private static void I32(Span<byte> d, int offset, int value) => BinaryPrimitives.WriteInt32BigEndian(d[offset..], value);

    private static void I64(Span<byte> d, int offset, long value) => BinaryPrimitives.WriteInt64BigEndian(d[offset..], value);
}
