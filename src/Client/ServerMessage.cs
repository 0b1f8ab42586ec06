using System.Buffers.Binary;
using Exchange.Client.Protocol;
using Exchange.Core.Events;

namespace Exchange.Client;

/// <summary>
/// One decoded outbound message (docs/protocol.md section 4). Fields a type does not carry stay zero;
/// <see cref="Raw"/> keeps the bytes.
/// </summary>
public sealed class ServerMessage
{
    public long Sequence { get; init; }
    public char Type { get; init; }
    public long Timestamp { get; init; }
    public uint Token { get; init; }
    public int Account { get; init; }
    public int Instrument { get; init; } = -1;
    public long OrderId { get; init; }
    public uint OrderToken { get; init; }
    public long TradeId { get; init; }
    public byte Side { get; init; }
    public byte OrderType { get; init; }
    public byte TimeInForce { get; init; }
    /// <summary>Order flags (A), priority kept (U), cured (L).</summary>
    public byte Flags { get; init; }
    public byte Stp { get; init; }
    public long Price { get; init; }
    public long Quantity { get; init; }
    public long Fee { get; init; }
    public char Liquidity { get; init; }
    public RejectCode RejectCode { get; init; }
    public char RejectedType { get; init; }
    public CancelReason CancelReason { get; init; }
    /// <summary>Transfer kind (T), liquidation phase (L), ADL role (V).</summary>
    public byte Kind { get; init; }
    /// <summary>Transfer, funding, fee, payment, haircut amount; funding rate (W); equity or balance (L); quote (V).</summary>
    public long Amount { get; init; }
    /// <summary>Maintenance margin (L), funding dust (W).</summary>
    public long Amount2 { get; init; }
    /// <summary>Orders canceled (K), positions funded (W), open orders (B, Q).</summary>
    public uint Count { get; init; }
    public uint NextToken { get; init; }
    public long Position { get; init; }
    public long Cost { get; init; }
    public long Upnl { get; init; }
    public long Balance { get; init; }
    public long Equity { get; init; }
    public long Maintenance { get; init; }
    public long FreeMargin { get; init; }
    public IReadOnlyList<PositionEntry> Positions { get; init; } = [];
    public byte[] Raw { get; init; } = [];

    /// <summary>Decodes a Sequenced Data payload; null when it is too short for its type or the type is unknown.</summary>
    public static ServerMessage? Parse(long sequence, ReadOnlySpan<byte> m)
    {
        if (m.Length < Outbound.HeaderLength) return null;
        var type = m[0];
        var expected = type switch
        {
            Outbound.OrderAccepted => Outbound.OrderAcceptedLength,
            Outbound.Rejected => Outbound.RejectedLength,
            Outbound.OrderReplaced => Outbound.OrderReplacedLength,
            Outbound.OrderCanceled => Outbound.OrderCanceledLength,
            Outbound.CancelAllDone => Outbound.CancelAllDoneLength,
            Outbound.OrderExecuted => Outbound.OrderExecutedLength,
            Outbound.PositionUpdate => Outbound.PositionUpdateLength,
            Outbound.BalanceUpdate => Outbound.BalanceUpdateLength,
            Outbound.Transfer => Outbound.TransferLength,
            Outbound.MarkPriceSet => Outbound.MarkPriceSetLength,
            Outbound.FundingApplied => Outbound.FundingAppliedLength,
            Outbound.FundingPayment => Outbound.FundingPaymentLength,
            Outbound.Liquidation => Outbound.LiquidationLength,
            Outbound.LiquidationFee or Outbound.InsurancePayment => Outbound.LiquidationFeeLength,
            Outbound.AutoDeleverage => Outbound.AutoDeleverageLength,
            Outbound.Haircut => Outbound.HaircutLength,
            Outbound.AccountState => Outbound.AccountStateHeaderLength,
            Outbound.TradingStatus => Outbound.TradingStatusLength,
            _ => -1,
        };
        if (expected < 0 || m.Length < expected) return null;
        long ts = I64(m, 1);
        var token = BinaryPrimitives.ReadUInt32BigEndian(m[9..]);
        var raw = m.ToArray();
        return type switch
        {
            Outbound.OrderAccepted => new ServerMessage
            {
                Sequence = sequence, Type = 'A', Timestamp = ts, Token = token, Raw = raw, Account = U32(m, 13),
                Instrument = I32(m, 17), OrderId = I64(m, 21), Side = m[29], OrderType = m[30], TimeInForce = m[31],
                Flags = m[32], Stp = m[33], Price = I64(m, 34), Quantity = I64(m, 42), OrderToken = token,
            },
            Outbound.Rejected => new ServerMessage
            {
                Sequence = sequence, Type = 'J', Timestamp = ts, Token = token, Raw = raw, RejectedType = (char)m[13],
                RejectCode = (RejectCode)m[14], Account = U32(m, 15), Instrument = I32(m, 19), OrderId = I64(m, 23),
            },
            Outbound.OrderReplaced or Outbound.OrderCanceled => new ServerMessage
            {
                Sequence = sequence, Type = (char)type, Timestamp = ts, Token = token, Raw = raw, Account = U32(m, 13),
                Instrument = I32(m, 17), OrderId = I64(m, 21), OrderToken = BinaryPrimitives.ReadUInt32BigEndian(m[29..]),
                Side = m[33], Flags = type == Outbound.OrderReplaced ? m[34] : (byte)0,
                CancelReason = type == Outbound.OrderCanceled ? (CancelReason)m[34] : CancelReason.None,
                Price = I64(m, 35), Quantity = I64(m, 43),
            },
            Outbound.CancelAllDone => new ServerMessage
            {
                Sequence = sequence, Type = 'K', Timestamp = ts, Token = token, Raw = raw, Account = U32(m, 13),
                Instrument = I32(m, 17), Count = BinaryPrimitives.ReadUInt32BigEndian(m[21..]),
            },
            Outbound.OrderExecuted => new ServerMessage
            {
                Sequence = sequence, Type = 'E', Timestamp = ts, Token = token, Raw = raw, Account = U32(m, 13),
                Instrument = I32(m, 17), OrderId = I64(m, 21), OrderToken = BinaryPrimitives.ReadUInt32BigEndian(m[29..]),
                TradeId = I64(m, 33), Side = m[41], Liquidity = (char)m[42], Price = I64(m, 43), Quantity = I64(m, 51),
                Fee = I64(m, 59),
            },
            Outbound.PositionUpdate => new ServerMessage
            {
                Sequence = sequence, Type = 'P', Timestamp = ts, Token = token, Raw = raw, Account = U32(m, 13),
                Instrument = I32(m, 17), Position = I64(m, 21), Cost = I64(m, 29), Upnl = I64(m, 37),
            },
            Outbound.BalanceUpdate => new ServerMessage
            {
                Sequence = sequence, Type = 'B', Timestamp = ts, Token = token, Raw = raw, Account = U32(m, 13),
                Balance = I64(m, 17), Equity = I64(m, 25), Maintenance = I64(m, 33), FreeMargin = I64(m, 41),
                Count = BinaryPrimitives.ReadUInt32BigEndian(m[49..]),
            },
            Outbound.Transfer => new ServerMessage
            {
                Sequence = sequence, Type = 'T', Timestamp = ts, Token = token, Raw = raw, Kind = m[13], Account = U32(m, 14),
                Amount = I64(m, 18),
            },
            Outbound.MarkPriceSet => new ServerMessage
            {
                Sequence = sequence, Type = 'M', Timestamp = ts, Token = token, Raw = raw, Instrument = I32(m, 13), Price = I64(m, 17),
            },
            // Kind: Outbound.Halted / ResumedByRule / ResumedByAdmin; Price: the mark; Amount: a halt's reference mark.
            Outbound.TradingStatus => new ServerMessage
            {
                Sequence = sequence, Type = 'S', Timestamp = ts, Token = token, Raw = raw, Instrument = I32(m, 13), Kind = m[17],
                Price = I64(m, 18), Amount = I64(m, 26),
            },
            Outbound.FundingApplied => new ServerMessage
            {
                Sequence = sequence, Type = 'W', Timestamp = ts, Token = token, Raw = raw, Instrument = I32(m, 13), Amount = I64(m, 17),
                Count = BinaryPrimitives.ReadUInt32BigEndian(m[25..]), Amount2 = I64(m, 29),
            },
            Outbound.FundingPayment => new ServerMessage
            {
                Sequence = sequence, Type = 'R', Timestamp = ts, Token = token, Raw = raw, Account = U32(m, 13),
                Instrument = I32(m, 17), Position = I64(m, 21), Amount = I64(m, 29),
            },
            Outbound.Liquidation => new ServerMessage
            {
                Sequence = sequence, Type = 'L', Timestamp = ts, Token = token, Raw = raw, Account = U32(m, 13), Kind = m[17],
                Flags = m[18], Amount = I64(m, 19), Amount2 = I64(m, 27),
            },
            Outbound.LiquidationFee or Outbound.InsurancePayment => new ServerMessage
            {
                Sequence = sequence, Type = (char)type, Timestamp = ts, Token = token, Raw = raw, Account = U32(m, 13),
                Instrument = I32(m, 17), Amount = I64(m, 21),
            },
            Outbound.AutoDeleverage => new ServerMessage
            {
                Sequence = sequence, Type = 'V', Timestamp = ts, Token = token, Raw = raw, Account = U32(m, 13),
                Instrument = I32(m, 17), Kind = m[21], Side = m[22], Price = I64(m, 23), Quantity = I64(m, 31), Amount = I64(m, 39),
            },
            Outbound.Haircut => new ServerMessage
            {
                Sequence = sequence, Type = 'H', Timestamp = ts, Token = token, Raw = raw, Account = U32(m, 13), Amount = I64(m, 17),
            },
            _ => AccountState(sequence, ts, token, m, raw),
        };
    }

    private static ServerMessage? AccountState(long sequence, long ts, uint token, ReadOnlySpan<byte> m, byte[] raw)
    {
        int n = m[57];
        if (m.Length != Outbound.AccountStateHeaderLength + n * Outbound.AccountStateEntryLength) return null;
        var positions = new PositionEntry[n];
        for (var i = 0; i < n; i++)
        {
            var e = m[(Outbound.AccountStateHeaderLength + i * Outbound.AccountStateEntryLength)..];
            positions[i] = new PositionEntry(I32(e, 0), I64(e, 4), I64(e, 12), I64(e, 20), I64(e, 28), I64(e, 36), e[44]);
        }
        return new ServerMessage
        {
            Sequence = sequence, Type = 'Q', Timestamp = ts, Token = token, Raw = raw, Account = U32(m, 13), Balance = I64(m, 17),
            Equity = I64(m, 25), Maintenance = I64(m, 33), FreeMargin = I64(m, 41), Count = BinaryPrimitives.ReadUInt32BigEndian(m[49..]),
            NextToken = BinaryPrimitives.ReadUInt32BigEndian(m[53..]), Positions = positions,
        };
    }

    public override string ToString() => Type switch
    {
        'A' => $"#{Sequence} A accepted token={Token} order={OrderId} acct={Account} instr={Instrument} side={Side} {Quantity}@{Price}",
        'J' => $"#{Sequence} J rejected token={Token} {RejectedType} {RejectCodeNames.Name(RejectCode)} acct={Account} order={OrderId}",
        'U' => $"#{Sequence} U replaced token={Token} order={OrderId} {Quantity}@{Price} kept={Flags}",
        'C' => $"#{Sequence} C canceled token={Token} order={OrderId} {Quantity}@{Price} reason={CancelReason}",
        'K' => $"#{Sequence} K cancel-all done token={Token} canceled={Count}",
        'E' => $"#{Sequence} E executed order={OrderId} trade={TradeId} {(char)Liquidity} side={Side} {Quantity}@{Price} fee={Fee}",
        'Q' => $"#{Sequence} Q account={Account} balance={Balance} equity={Equity} mm={Maintenance} free={FreeMargin} next-token={NextToken} positions={Positions.Count}",
        _ => $"#{Sequence} {Type} token={Token} acct={Account} instr={Instrument} amount={Amount}",
    };

    private static long I64(ReadOnlySpan<byte> m, int offset) => BinaryPrimitives.ReadInt64BigEndian(m[offset..]);

    private static int I32(ReadOnlySpan<byte> m, int offset) => BinaryPrimitives.ReadInt32BigEndian(m[offset..]);

    private static int U32(ReadOnlySpan<byte> m, int offset) => (int)BinaryPrimitives.ReadUInt32BigEndian(m[offset..]);
}
