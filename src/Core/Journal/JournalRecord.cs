using System.Buffers.Binary;
using Exchange.Core.Commands;

namespace Exchange.Core.Journal;

/// <summary>
/// One journal record: <c>[int32 payload length][int64 sequence][uint32 CRC32C][payload]</c>, little-endian.
/// The CRC covers the length, the sequence and the payload, so a damaged header is caught as surely as a
/// damaged command. The payload length and the payload's format byte are the format: <see cref="PayloadLength"/>
/// (format 3, with the command's token space and token; format 2 had the same length) is written;
/// <see cref="LegacyPayloadLength"/> (format 1) is still read (see CommandCodec).
/// </summary>
internal static class JournalRecord
{
    public const int LengthOffset = 0;
    public const int SequenceOffset = 4;
    public const int CrcOffset = 12;
    public const int HeaderSize = 16;
    public const int PayloadLength = CommandCodec.Size;
    public const int Size = HeaderSize + PayloadLength;
    public const int LegacyPayloadLength = CommandCodec.LegacySize;

    /// <summary>Encodes a record for <paramref name="command"/> (whose sequence it carries) into <paramref name="destination"/>.</summary>
    public static void Write(Span<byte> destination, in Command command)
    {
        var record = destination[..Size];
        BinaryPrimitives.WriteInt32LittleEndian(record[LengthOffset..], PayloadLength);
        BinaryPrimitives.WriteInt64LittleEndian(record[SequenceOffset..], command.Sequence);
        CommandCodec.Write(record[HeaderSize..], command);
        BinaryPrimitives.WriteUInt32LittleEndian(record[CrcOffset..], ComputeCrc(record, PayloadLength));
    }

    /// <summary>The payload length field; valid only if it equals <see cref="PayloadLength"/>.</summary>
    public static int ReadLength(ReadOnlySpan<byte> record) => BinaryPrimitives.ReadInt32LittleEndian(record[LengthOffset..]);

    public static long ReadSequence(ReadOnlySpan<byte> record) => BinaryPrimitives.ReadInt64LittleEndian(record[SequenceOffset..]);

    public static bool HasValidCrc(ReadOnlySpan<byte> record, int payloadLength) =>
        BinaryPrimitives.ReadUInt32LittleEndian(record[CrcOffset..]) == ComputeCrc(record, payloadLength);

    private static uint ComputeCrc(ReadOnlySpan<byte> record, int payloadLength)
    {
        uint crc = Crc32C.Append(Crc32C.Start(), record[..CrcOffset]);
        crc = Crc32C.Append(crc, record.Slice(HeaderSize, payloadLength));
        return Crc32C.Finish(crc);
    }
}
