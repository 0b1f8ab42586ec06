using System.Buffers;

namespace Exchange.Gateway.Tests.Support;

/// <summary>Builds a multi-segment <see cref="ReadOnlySequence{T}"/>, as a pipe hands out data that arrived in pieces.</summary>
internal sealed class Segment : ReadOnlySequenceSegment<byte>
{
    private Segment(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    public static ReadOnlySequence<byte> Split(byte[] bytes, Random random)
    {
        if (bytes.Length == 0) return ReadOnlySequence<byte>.Empty;
        var first = new Segment(bytes.AsMemory(0, Math.Min(bytes.Length, 1 + random.Next(bytes.Length))), 0);
        var last = first;
        var offset = first.Memory.Length;
        while (offset < bytes.Length)
        {
            var n = Math.Min(bytes.Length - offset, 1 + random.Next(8));
            var next = new Segment(bytes.AsMemory(offset, n), offset);
            last.Next = next;
            last = next;
            offset += n;
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
