using System.Buffers.Binary;
using Exchange.Client.Protocol;

namespace Exchange.Client;

/// <summary>
/// One decoded market-data message (docs/protocol.md section 12). Fields a type does not carry are zero;
/// <see cref="Sequence"/> is the message's sequence number in its session: the order log's, or, for a snapshot message
/// (<see cref="InSnapshot"/>), the snapshot session's.
/// </summary>
public sealed record MarketDataMessage
{
    public long Sequence { get; init; }
    public bool InSnapshot { get; init; }
    public char Type { get; init; }
    public long Timestamp { get; init; }
    /// <summary>The exchange's command sequence the message came from (for a snapshot: the last command in it).</summary>
    public long CommandSequence { get; init; }
    public int Instrument { get; init; }
    public long OrderId { get; init; }
    public long TradeId { get; init; }
    public byte Side { get; init; }
    public long Price { get; init; }
    public long Quantity { get; init; }
    public byte Flags { get; init; }
    public byte Reason { get; init; }
    /// <summary>Mark price, funding rate (ppm), insurance fund balance, or End of Snapshot's next sequence number.</summary>
    public long Value { get; init; }

    /// <summary>Decodes a message; null when its type or length is unknown.</summary>
    public static MarketDataMessage? Parse(long sequence, bool inSnapshot, ReadOnlySpan<byte> m)
    {
        if (m.Length < MarketDataFormat.HeaderLength) return null;
        var h = new MarketDataMessage
        {
            Sequence = sequence, InSnapshot = inSnapshot, Type = (char)m[0], Timestamp = I64(m, 1), CommandSequence = I64(m, 9),
        };
        return (m[0], m.Length) switch
        {
            (MarketDataFormat.AddOrder, MarketDataFormat.AddOrderLength) =>
                h with { Instrument = I32(m, 17), OrderId = I64(m, 21), Side = m[29], Price = I64(m, 30), Quantity = I64(m, 38) },
            (MarketDataFormat.OrderExecuted, MarketDataFormat.OrderExecutedLength) =>
                h with
                {
                    Instrument = I32(m, 17), OrderId = I64(m, 21), TradeId = I64(m, 29), Price = I64(m, 37), Quantity = I64(m, 45),
                    Side = m[53], Flags = m[54],
                },
            (MarketDataFormat.OrderCancel, MarketDataFormat.OrderCancelLength) =>
                h with { Instrument = I32(m, 17), OrderId = I64(m, 21), Quantity = I64(m, 29) },
            (MarketDataFormat.OrderDelete, MarketDataFormat.OrderDeleteLength) =>
                h with { Instrument = I32(m, 17), OrderId = I64(m, 21), Reason = m[29] },
            (MarketDataFormat.OrderReplace, MarketDataFormat.OrderReplaceLength) =>
                h with { Instrument = I32(m, 17), OrderId = I64(m, 21), Price = I64(m, 29), Quantity = I64(m, 37) },
            (MarketDataFormat.Trade, MarketDataFormat.TradeLength) =>
                h with { Instrument = I32(m, 17), TradeId = I64(m, 21), Side = m[29], Price = I64(m, 30), Quantity = I64(m, 38), Flags = m[46] },
            (MarketDataFormat.MarkPrice or MarketDataFormat.Funding, MarketDataFormat.MarkPriceLength) =>
                h with { Instrument = I32(m, 17), Value = I64(m, 21) },
            (MarketDataFormat.InsuranceFund or MarketDataFormat.EndOfSnapshot, MarketDataFormat.InsuranceFundLength) =>
                h with { Value = I64(m, 17) },
            // Reason: the status (Outbound.Halted, ResumedByRule, ResumedByAdmin); Price: the mark; Value: a halt's reference.
            (MarketDataFormat.TradingStatus, MarketDataFormat.TradingStatusLength) =>
                h with { Instrument = I32(m, 17), Reason = m[21], Price = I64(m, 22), Value = I64(m, 30) },
            (MarketDataFormat.AutoDeleverage, MarketDataFormat.AutoDeleverageLength) =>
                h with { Instrument = I32(m, 17), Side = m[21], Price = I64(m, 22), Quantity = I64(m, 30) },
            _ => null,
        };
    }

    private static int I32(ReadOnlySpan<byte> m, int at) => BinaryPrimitives.ReadInt32BigEndian(m[at..]);

    private static long I64(ReadOnlySpan<byte> m, int at) => BinaryPrimitives.ReadInt64BigEndian(m[at..]);
}
