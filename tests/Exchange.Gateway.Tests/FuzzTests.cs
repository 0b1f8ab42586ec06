using System.Buffers;
using Exchange.Client.Protocol;
using Exchange.Client;
using Exchange.Gateway.Protocol;
using Exchange.Gateway.Tests.Support;

namespace Exchange.Gateway.Tests;

/// <summary>Random bytes into every decoder: none throws, and the frame decoder agrees with an obviously right one.</summary>
public sealed class FuzzTests
{
    [Fact]
    public void FrameDecoder_RandomBytesInRandomPieces_NeverThrowsAndAgreesWithTheReference()
    {
        var random = new Random(20251123);
        for (var round = 0; round < 10_000; round++)
        {
            var bytes = Stream(random);
            var max = random.Next(1, 300);
            var (expected, status) = Reference(bytes, max);

            // Over a span.
            var span = bytes.AsSpan();
            var frames = new List<byte[]>();
            FrameStatus s;
            while ((s = FrameDecoder.TryRead(span, max, out var length)) == FrameStatus.Complete)
            {
                frames.Add(span.Slice(2, length).ToArray());
                span = span[(2 + length)..];
            }
            Assert.Equal(status, s);
            Assert.Equal(expected, frames);

            // Over a sequence cut into random segments, as a pipe delivers it.
            var sequence = Segment.Split(bytes, random);
            frames.Clear();
            while ((s = FrameDecoder.TryRead(ref sequence, max, out var frame)) == FrameStatus.Complete) frames.Add(frame.ToArray());
            Assert.Equal(status, s);
            Assert.Equal(expected, frames);
        }
    }

    [Fact]
    public void FrameDecoder_BytesArrivingOneChunkAtATime_YieldTheSameFrames()
    {
        var random = new Random(99);
        for (var round = 0; round < 2_000; round++)
        {
            var bytes = Stream(random);
            var (expected, status) = Reference(bytes, 256);
            var buffer = new List<byte>();
            var frames = new List<byte[]>();
            var last = FrameStatus.Incomplete;
            for (var at = 0; at < bytes.Length && last is FrameStatus.Incomplete or FrameStatus.Complete;)
            {
                var n = Math.Min(bytes.Length - at, 1 + random.Next(5));
                buffer.AddRange(bytes.AsSpan(at, n).ToArray());
                at += n;
                var seq = new ReadOnlySequence<byte>(buffer.ToArray());
                while ((last = FrameDecoder.TryRead(ref seq, 256, out var frame)) == FrameStatus.Complete) frames.Add(frame.ToArray());
                buffer = [.. seq.ToArray()];
            }
            if (bytes.Length == 0) last = FrameStatus.Incomplete;
            Assert.Equal(status, last);
            Assert.Equal(expected, frames);
        }
    }

    [Fact]
    public void MessageDecoders_RandomBytes_NeverThrow()
    {
        var random = new Random(5);
        for (var round = 0; round < 50_000; round++)
        {
            var bytes = new byte[random.Next(0, 120)];
            random.NextBytes(bytes);
            if (bytes.Length > 0 && random.Next(2) == 0) bytes[0] = "OUXCQPFDWIAJKEBTMRLGVHZ"u8[random.Next(23)];
            InboundDecoder.Decode(bytes, out _);
            ServerMessage.Parse(1, bytes);
            LoginCodec.TryParseAccepted(bytes, out _, out _);
            if (bytes.Length >= PacketType.LoginRequestPayload)
                LoginCodec.TryParseRequest(bytes.AsSpan(0, PacketType.LoginRequestPayload), out _, out _, out _, out _);
        }
    }

    /// <summary>Mostly well-formed packets of random lengths, sometimes garbage, sometimes cut short.</summary>
    private static byte[] Stream(Random random)
    {
        var bytes = new List<byte>();
        var packets = random.Next(0, 6);
        for (var i = 0; i < packets; i++)
        {
            if (random.Next(10) == 0)
            {
                var junk = new byte[random.Next(1, 5)];
                random.NextBytes(junk);
                bytes.AddRange(junk);
                continue;
            }
            var length = random.Next(0, 320);
            bytes.Add((byte)(length >> 8));
            bytes.Add((byte)length);
            var body = new byte[length];
            random.NextBytes(body);
            bytes.AddRange(body);
        }
        var all = bytes.ToArray();
        return random.Next(3) == 0 && all.Length > 0 ? all[..random.Next(all.Length)] : all;
    }

    /// <summary>The obviously right splitter.</summary>
    private static (List<byte[]> Frames, FrameStatus Status) Reference(byte[] bytes, int max)
    {
        var frames = new List<byte[]>();
        var at = 0;
        while (true)
        {
            if (bytes.Length - at < 2) return (frames, FrameStatus.Incomplete);
            var length = bytes[at] * 256 + bytes[at + 1];
            if (length == 0) return (frames, FrameStatus.Empty);
            if (length > max) return (frames, FrameStatus.TooLong);
            if (bytes.Length - at - 2 < length) return (frames, FrameStatus.Incomplete);
            frames.Add(bytes[(at + 2)..(at + 2 + length)]);
            at += 2 + length;
        }
    }
}
