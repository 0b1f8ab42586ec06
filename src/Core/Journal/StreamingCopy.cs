using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Exchange.Core.Journal;

/// <summary>
/// A block copy whose stores bypass the caches (non-temporal), for the snapshot capture's megabytes: the destination is
/// read later by the serializing thread, not by the business-logic thread, so an ordinary copy would first read every
/// destination line into the cache (a write allocates) and evict the engine's working set with lines it will not read.
/// </summary>
internal static class StreamingCopy
{
    /// <summary>
    /// Below this many bytes an ordinary copy: a copy that fits the caches keeps its source and destination there, and
    /// streaming it measured slower (10,000 orders, 640 KB: 1.17x), while 1.9 MB and more measured faster (0.93-0.95x
    /// at 30,000-50,000 orders, docs/benchmarks.md "Snapshot pause"). Twice this machine's 1 MB L2.
    /// </summary>
    internal const int Threshold = 2 << 20;

    public static unsafe void Copy<T>(ReadOnlySpan<T> source, Span<T> destination) where T : unmanaged
    {
        var bytes = (long)source.Length * sizeof(T);
        if (!Avx.IsSupported || bytes < Threshold || destination.Length < source.Length)
        {
            source.CopyTo(destination);
            return;
        }
        fixed (T* s = source)
        fixed (T* d = destination)
        {
            var src = (byte*)s;
            var dst = (byte*)d;
            // Up to the destination's first 32-byte boundary the ordinary way; the streaming stores need it aligned.
            var head = (int)((32 - ((nuint)dst & 31)) & 31);
            Buffer.MemoryCopy(src, dst, head, head);
            src += head;
            dst += head;
            bytes -= head;
            for (; bytes >= 128; bytes -= 128, src += 128, dst += 128)
            {
                var a = Avx.LoadVector256(src);
                var b = Avx.LoadVector256(src + 32);
                var c = Avx.LoadVector256(src + 64);
                var e = Avx.LoadVector256(src + 96);
                Avx.StoreAlignedNonTemporal(dst, a);
                Avx.StoreAlignedNonTemporal(dst + 32, b);
                Avx.StoreAlignedNonTemporal(dst + 64, c);
                Avx.StoreAlignedNonTemporal(dst + 96, e);
            }
            Buffer.MemoryCopy(src, dst, bytes, bytes);
            // Streaming stores are weakly ordered: fence them before the image is handed to the writer's thread.
            Sse.StoreFence();
        }
    }
}
