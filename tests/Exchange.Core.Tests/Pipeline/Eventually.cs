using System.Diagnostics;
using Exchange.Core.Pipeline;

namespace Exchange.Core.Tests.Pipeline;

/// <summary>Bounded waits for the threaded tests: a broken pipeline fails the test instead of hanging it.</summary>
internal static class Eventually
{
    // A hang detector, not a speed assertion: on a loaded 2-vCPU machine a yielding hand-off can take milliseconds, and
    // 20,000 of them through a 4-slot ring took over 5 s at load 37. A pass takes milliseconds on a quiet machine.
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static void True(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        var spin = new SpinWait();
        while (!condition())
        {
            if (clock.Elapsed > Timeout)
                Assert.Fail($"Timed out after {Timeout.TotalSeconds} s waiting for {what}.");
            spin.SpinOnce();
        }
    }

    /// <summary>Claims a slot, yielding while the ring is full, failing after <see cref="Timeout"/>.</summary>
    public static long Claim<T>(RingBuffer<T> ring)
        where T : struct
    {
        long deadline = Environment.TickCount64 + (long)Timeout.TotalMilliseconds;
        long sequence;
        while (!ring.TryNext(out sequence))
        {
            if (Environment.TickCount64 > deadline)
                throw new TimeoutException("The ring stayed full: its consumer is not advancing.");
            Thread.Yield();
        }

        return sequence;
    }

    /// <summary>Runs <paramref name="action"/> on a thread and fails if it does not finish within <see cref="Timeout"/>.</summary>
    public static void Completes(Action action, string what) => Completes([action], what);

    /// <summary>Runs each action on its own thread and fails unless all finish within <see cref="Timeout"/>.</summary>
    public static void Completes(Action[] actions, string what)
    {
        var threads = Array.ConvertAll(actions, TestThread.Start);
        foreach (var thread in threads)
            thread.AssertCompletes(what);
    }
}
