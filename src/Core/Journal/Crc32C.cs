using System.Buffers.Binary;
using System.Numerics;

namespace Exchange.Core.Journal;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of journal records, computed with the CPU's CRC32 instruction through
/// <see cref="BitOperations.Crc32C(uint, ulong)"/> (a software fallback where there is none). Standard
/// parameters: initial value and final XOR of all ones, so "123456789" checks to 0xE3069283.
/// </summary>
public static class Crc32C
{
    private const uint Seed = 0xFFFF_FFFFu;

    /// <summary>The CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Start(), data));

    /// <summary>The running value to feed <see cref="Append"/> first.</summary>
    public static uint Start() => Seed;

    /// <summary>Extends a running CRC with <paramref name="data"/>, for a checksum over several spans.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        // Eight bytes per instruction; read little-endian because the instruction consumes the low byte first.
        while (data.Length >= sizeof(ulong))
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[sizeof(ulong)..];
        }

        foreach (byte b in data)
            crc = BitOperations.Crc32C(crc, b);
        return crc;
    }

    /// <summary>Turns a running value into the checksum.</summary>
    public static uint Finish(uint crc) => ~crc;
}
