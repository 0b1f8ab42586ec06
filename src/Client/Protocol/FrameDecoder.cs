using System.Buffers;

namespace Exchange.Client.Protocol;

/// <summary>
/// Splits SoupBinTCP packets off a byte stream: a 2-byte big-endian length counting the type byte and payload, then
/// that many bytes. Total on every input: it returns a <see cref="FrameStatus"/> and never throws.
/// </summary>
public static class FrameDecoder
{
    /// <summary>
    /// Reads one packet from the start of <paramref name="buffer"/>. On <see cref="FrameStatus.Complete"/>,
    /// <paramref name="frame"/> is the type byte and payload and <paramref name="buffer"/> is advanced past the packet;
    /// otherwise <paramref name="buffer"/> is unchanged.
    /// </summary>
    public static FrameStatus TryRead(ref ReadOnlySequence<byte> buffer, int maxLength, out ReadOnlySequence<byte> frame)
    {
        frame = default;
        if (buffer.Length < 2) return FrameStatus.Incomplete;
        var first = buffer.FirstSpan;
        int length;
        if (first.Length >= 2)
        {
            length = first[0] << 8 | first[1];
        }
        else
        {
            Span<byte> two = stackalloc byte[2];
            buffer.Slice(0, 2).CopyTo(two);
            length = two[0] << 8 | two[1];
        }
        var status = Check(length, maxLength, buffer.Length - 2);
        if (status != FrameStatus.Complete) return status;
        frame = buffer.Slice(2, length);
        buffer = buffer.Slice(2 + length);
        return FrameStatus.Complete;
    }

    /// <summary>
    /// The same over a span. On <see cref="FrameStatus.Complete"/> the packet's type byte and payload are
    /// <c>buffer.Slice(2, length)</c> and the packet takes <c>2 + length</c> bytes.
    /// </summary>
    public static FrameStatus TryRead(ReadOnlySpan<byte> buffer, int maxLength, out int length)
    {
        length = 0;
        if (buffer.Length < 2) return FrameStatus.Incomplete;
        var declared = buffer[0] << 8 | buffer[1];
        var status = Check(declared, maxLength, buffer.Length - 2);
        if (status == FrameStatus.Complete) length = declared;
        return status;
    }

    private static FrameStatus Check(int length, int maxLength, long available)
    {
        if (length == 0) return FrameStatus.Empty;
        if (length > maxLength) return FrameStatus.TooLong;
        return available < length ? FrameStatus.Incomplete : FrameStatus.Complete;
    }
}
