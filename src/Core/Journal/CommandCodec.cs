using System.Buffers.Binary;
using Exchange.Core.Commands;

namespace Exchange.Core.Journal;

/// <summary>
/// The journal's byte form of a <see cref="Command"/>: every field at a fixed offset, little-endian, independent
/// of the struct's memory layout (which the runtime may change and which has padding of unspecified content).
/// </summary>
/// <remarks>
/// Layout (format 3, 80 bytes): 0 Type, 1 Side, 2 OrderType, 3 TimeInForce, 4 Flags, 5 Stp, 6 the format
/// (<see cref="Format"/>), 7 reserved (zero), 8 AccountId (int32), 12 InstrumentId (int32), 16 Price, 24 Quantity,
/// 32 ClientOrderId, 40 OrderId, 48 Amount, 56 Sequence, 64 Timestamp (int64 each), 72 Origin, 76 Token (uint32 each).
/// Format 3 journals what format 2 did not: account queries and the gateway's own rejects
/// (<see cref="CommandType.GatewayReject"/>), whose answers are messages of a user's stream, so that every such message
/// is a function of the journal. Format 2 is the same layout with byte 6 zero and neither kind of record: it is still
/// read, and reads the same. Format 1 (72 bytes) is the same without Origin and Token: it is still read, as commands that are not
/// deduplicated (<see cref="ReadLegacy"/>); the record's payload length tells it apart. A record whose byte 6 names
/// another format is refused (<see cref="IsKnownFormat"/>): written by a newer version.
/// </remarks>
public static class CommandCodec
{
    /// <summary>The encoded size of every command.</summary>
    public const int Size = 80;

    /// <summary>The encoded size of a format-1 command (before tokens were journaled).</summary>
    public const int LegacySize = 72;

    /// <summary>The journal format written (byte 6 of every command): 3, since account queries and gateway rejects are
    /// journaled. Format 2 wrote 0 there.</summary>
    public const byte Format = 3;

    /// <summary>The offset of the format byte.</summary>
    internal const int FormatOffset = 6;

    /// <summary>Whether an encoded command is of a format this version reads: 3, or 2 (byte 6 zero; format 1 too).</summary>
    public static bool IsKnownFormat(ReadOnlySpan<byte> source) => source[FormatOffset] is 0 or Format;

    /// <summary>Writes <paramref name="command"/> into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    public static void Write(Span<byte> destination, in Command command)
    {
        // One slice up front: the JIT then drops the per-field bounds checks against the constant offsets.
        var bytes = destination[..Size];
        bytes[0] = (byte)command.Type;
        bytes[1] = (byte)command.Side;
        bytes[2] = (byte)command.OrderType;
        bytes[3] = (byte)command.TimeInForce;
        bytes[4] = (byte)command.Flags;
        bytes[5] = (byte)command.Stp;
        bytes[FormatOffset] = Format;
        bytes[7] = 0;
        BinaryPrimitives.WriteInt32LittleEndian(bytes[8..], command.AccountId);
        BinaryPrimitives.WriteInt32LittleEndian(bytes[12..], command.InstrumentId);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[16..], command.Price);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[24..], command.Quantity);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[32..], command.ClientOrderId);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[40..], command.OrderId);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[48..], command.Amount);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[56..], command.Sequence);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[64..], command.Timestamp);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[72..], command.Origin);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[76..], command.Token);
    }

    /// <summary>Reads a command from the first <see cref="Size"/> bytes of <paramref name="source"/>.</summary>
    public static Command Read(ReadOnlySpan<byte> source)
    {
        var command = ReadLegacy(source[..Size]);
        command.Origin = BinaryPrimitives.ReadUInt32LittleEndian(source[72..]);
        command.Token = BinaryPrimitives.ReadUInt32LittleEndian(source[76..]);
        return command;
    }

    /// <summary>Reads a format-1 command from the first <see cref="LegacySize"/> bytes: Origin and Token 0 (the rule for
    /// a journal written before tokens were journaled: its commands replay as they ran, not deduplicated).</summary>
    public static Command ReadLegacy(ReadOnlySpan<byte> source)
    {
        var bytes = source[..LegacySize];
        return new Command
        {
            Type = (CommandType)bytes[0],
            Side = (Side)bytes[1],
            OrderType = (OrderType)bytes[2],
            TimeInForce = (TimeInForce)bytes[3],
            Flags = (OrderFlags)bytes[4],
            Stp = (SelfTradePrevention)bytes[5],
            AccountId = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]),
            InstrumentId = BinaryPrimitives.ReadInt32LittleEndian(bytes[12..]),
            Price = BinaryPrimitives.ReadInt64LittleEndian(bytes[16..]),
            Quantity = BinaryPrimitives.ReadInt64LittleEndian(bytes[24..]),
            ClientOrderId = BinaryPrimitives.ReadInt64LittleEndian(bytes[32..]),
            OrderId = BinaryPrimitives.ReadInt64LittleEndian(bytes[40..]),
            Amount = BinaryPrimitives.ReadInt64LittleEndian(bytes[48..]),
            Sequence = BinaryPrimitives.ReadInt64LittleEndian(bytes[56..]),
            Timestamp = BinaryPrimitives.ReadInt64LittleEndian(bytes[64..]),
        };
    }
}
