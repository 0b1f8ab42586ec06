using System.Diagnostics.CodeAnalysis;

namespace Exchange.Core.Pipeline;

/// <summary>Throws for the pipeline, out of line so the callers' hot paths stay small.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void BufferSizeNotPowerOfTwo(int bufferSize) =>
        throw new ArgumentOutOfRangeException(nameof(bufferSize), bufferSize, "Buffer size must be a positive power of two.");

    [DoesNotReturn]
    public static void ClaimSizeOutOfRange(int n, int bufferSize) =>
        throw new ArgumentOutOfRangeException(nameof(n), n, $"Claim size must be between 1 and the buffer size ({bufferSize}).");

    [DoesNotReturn]
    public static void DefaultBlockingWaitStrategy() =>
        throw new ArgumentException("Create BlockingWaitStrategy with new BlockingWaitStrategy(): default has no monitor.", "waitStrategy");

    [DoesNotReturn]
    public static void WaitStrategyMismatch(Type expected, Type actual) =>
        throw new ArgumentException($"The processor waits with {expected.Name} but the ring buffer signals for {actual.Name}; they must be the same strategy.");

    [DoesNotReturn]
    public static void AlreadyRunning() =>
        throw new InvalidOperationException("The processor is already running.");
}
