using System.Buffers.Binary;
using Exchange.Client.Protocol;
using Exchange.Core.Events;
using static Exchange.Client.Protocol.MarketDataFormat;

namespace Exchange.Gateway.MarketData;

/// <summary>Writes order-log messages at their fixed offsets (docs/protocol.md section 12); returns the length written.</summary>
internal static class MarketDataEncoder
{
    public static int Add(Span<byte> d, long ts, long seq, int instrument, long orderId, byte side, long price, long qty)
    {
        Header(d, AddOrder, ts, seq);
        I32(d, 17, instrument);
        I64(d, 21, orderId);
        d[29] = side;
        I64(d, 30, price);
        I64(d, 38, qty);
        return AddOrderLength;
    }

    public static int Executed(Span<byte> d, long ts, long seq, int instrument, long orderId, long tradeId, long price, long qty,
        byte side, byte flags)
    {
        Header(d, OrderExecuted, ts, seq);
        I32(d, 17, instrument);
        I64(d, 21, orderId);
        I64(d, 29, tradeId);
        I64(d, 37, price);
        I64(d, 45, qty);
        d[53] = side;
        d[54] = flags;
        return OrderExecutedLength;
    }

    public static int Cancel(Span<byte> d, long ts, long seq, int instrument, long orderId, long cancelled)
    {
        Header(d, OrderCancel, ts, seq);
        I32(d, 17, instrument);
        I64(d, 21, orderId);
        I64(d, 29, cancelled);
        return OrderCancelLength;
    }

    public static int Delete(Span<byte> d, long ts, long seq, int instrument, long orderId, byte reason)
    {
        Header(d, OrderDelete, ts, seq);
        I32(d, 17, instrument);
        I64(d, 21, orderId);
        d[29] = reason;
        return OrderDeleteLength;
    }

    public static int Replace(Span<byte> d, long ts, long seq, int instrument, long orderId, long price, long qty)
    {
        Header(d, OrderReplace, ts, seq);
        I32(d, 17, instrument);
        I64(d, 21, orderId);
        I64(d, 29, price);
        I64(d, 37, qty);
        return OrderReplaceLength;
    }

    public static int TradeMessage(Span<byte> d, long ts, long seq, int instrument, long tradeId, byte aggressor, long price, long qty,
        byte flags)
    {
        Header(d, Trade, ts, seq);
        I32(d, 17, instrument);
        I64(d, 21, tradeId);
        d[29] = aggressor;
        I64(d, 30, price);
        I64(d, 38, qty);
        d[46] = flags;
        return TradeLength;
    }

    public static int InstrumentValue(Span<byte> d, byte type, long ts, long seq, int instrument, long value)
    {
        Header(d, type, ts, seq);
        I32(d, 17, instrument);
        I64(d, 21, value);
        return MarkPriceLength;
    }

    public static int TradingStatus(Span<byte> d, long ts, long seq, int instrument, byte status, long price, long reference)
    {
        Header(d, MarketDataFormat.TradingStatus, ts, seq);
        I32(d, 17, instrument);
        d[21] = status;
        I64(d, 22, price);
        I64(d, 30, reference);
        return MarketDataFormat.TradingStatusLength;
    }

    /// <summary>The Trading Status value of a TradingHalted or TradingResumed event (an admin's resume has Amount 1).</summary>
    public static byte TradingStatusOf(in Event e) =>
        e.Type == EventType.TradingHalted ? Outbound.Halted : e.Amount == 1 ? Outbound.ResumedByAdmin : Outbound.ResumedByRule;

    public static int Value(Span<byte> d, byte type, long ts, long seq, long value)
    {
        Header(d, type, ts, seq);
        I64(d, 17, value);
        return InsuranceFundLength;
    }

    public static int Adl(Span<byte> d, long ts, long seq, int instrument, byte side, long price, long qty)
    {
        Header(d, AutoDeleverage, ts, seq);
        I32(d, 17, instrument);
        d[21] = side;
        I64(d, 22, price);
        I64(d, 30, qty);
        return AutoDeleverageLength;
    }

    private static void Header(Span<byte> d, byte type, long ts, long seq)
    {
        d[0] = type;
        I64(d, 1, ts);
        I64(d, 9, seq);
    }

    private static void I32(Span<byte> d, int at, int v) => BinaryPrimitives.WriteInt32BigEndian(d[at..], v);

    private static void I64(Span<byte> d, int at, long v) => BinaryPrimitives.WriteInt64BigEndian(d[at..], v);
}
