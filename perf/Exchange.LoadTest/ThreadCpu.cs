using System.Runtime.InteropServices;

namespace Exchange.LoadTest;

/// <summary>The calling thread's own CPU time (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>), or 0 where it cannot be read.</summary>
internal static partial class ThreadCpu
{
    private const int ClockThreadCpuTimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out Timespec time);

    public static long Nanoseconds()
    {
        if (!OperatingSystem.IsLinux()) return 0;
        try
        {
            return ClockGetTime(ClockThreadCpuTimeId, out var t) == 0 ? t.Seconds * 1_000_000_000 + t.Nanoseconds : 0;
        }
        catch (DllNotFoundException)
        {
            return 0;
        }
        catch (EntryPointNotFoundException)
        {
            return 0;
        }
    }
}
