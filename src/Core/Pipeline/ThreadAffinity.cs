using System.Runtime.InteropServices;

namespace Exchange.Core.Pipeline;

/// <summary>
/// Pins the calling thread to one CPU (<see cref="PipelineOptions.PinnedCpus"/>). .NET has no managed API for a
/// thread's affinity, so this calls the OS: <c>sched_setaffinity</c> on Linux, <c>SetThreadAffinityMask</c> on
/// Windows. Pinning is for machines whose cores are set aside for the pipeline (isolcpus, a cpuset): there a pinned
/// busy-spinning thread keeps its caches and is never migrated. On a shared machine it only takes the scheduler's
/// freedom to move a thread off a busy core.
/// </summary>
internal static partial class ThreadAffinity
{
    private const int MaxCpus = 1024;

    /// <summary>Pins the calling thread to <paramref name="cpu"/>.</summary>
    /// <exception cref="PlatformNotSupportedException">Neither Linux nor Windows.</exception>
    /// <exception cref="InvalidOperationException">The OS refused (no such CPU, or outside the process's cpuset).</exception>
    public static void PinCurrentThread(int cpu)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cpu);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(cpu, MaxCpus);
        if (OperatingSystem.IsLinux())
        {
            var mask = new ulong[MaxCpus / 64];
            mask[cpu / 64] = 1UL << (cpu % 64);
            if (SchedSetAffinity(0, mask.Length * sizeof(ulong), mask) != 0)
                throw new InvalidOperationException($"sched_setaffinity to CPU {cpu} failed: errno {Marshal.GetLastPInvokeError()}");
        }
        else if (OperatingSystem.IsWindows())
        {
            if (cpu >= 64) throw new PlatformNotSupportedException("pinning beyond CPU 63 needs processor groups");
            if (SetThreadAffinityMask(GetCurrentThread(), (nuint)1 << cpu) == 0)
                throw new InvalidOperationException($"SetThreadAffinityMask to CPU {cpu} failed: error {Marshal.GetLastPInvokeError()}");
        }
        else
        {
            throw new PlatformNotSupportedException("thread pinning is implemented for Linux and Windows");
        }
    }

    /// <summary>The calling thread's CPU mask (Linux), to put back with <see cref="RestoreCurrentThread"/>; null elsewhere.</summary>
    public static ulong[]? SaveCurrentThread()
    {
        if (!OperatingSystem.IsLinux()) return null;
        var mask = new ulong[MaxCpus / 64];
        return SchedGetAffinity(0, mask.Length * sizeof(ulong), mask) < 0 ? null : mask;
    }

    /// <summary>Puts back a mask from <see cref="SaveCurrentThread"/>; nothing when it is null.</summary>
    public static void RestoreCurrentThread(ulong[]? mask)
    {
        if (mask is null || !OperatingSystem.IsLinux()) return;
        if (SchedSetAffinity(0, mask.Length * sizeof(ulong), mask) != 0)
            throw new InvalidOperationException($"sched_setaffinity failed: errno {Marshal.GetLastPInvokeError()}");
    }

    // pid 0: the calling thread.
    [LibraryImport("libc", EntryPoint = "sched_getaffinity", SetLastError = true)]
    private static partial int SchedGetAffinity(int pid, nint size, ulong[] mask);

    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static partial int SchedSetAffinity(int pid, nint size, ulong[] mask);

    [LibraryImport("kernel32", SetLastError = true)]
    private static partial nuint SetThreadAffinityMask(nint thread, nuint mask);

    [LibraryImport("kernel32")]
    private static partial nint GetCurrentThread();
}
