namespace Exchange.Gateway.Diagnostics;

/// <summary>
/// With <c>EXCHANGE_GC_REPORT=1</c> in the server's environment, a line <c>gc-report GEN0 GEN1 GEN2 ALLOCATED HEAP</c>
/// (collections per generation so far, bytes allocated so far by all threads, the managed heap's size now) goes to
/// stdout every 100 ms, so a load test driving the server from another process can count the server's collections in
/// its measured window and tell managed growth from native.
/// </summary>
internal static class GcReport
{
    private static Timer? _timer;

    public static void Start()
    {
        if (Environment.GetEnvironmentVariable("EXCHANGE_GC_REPORT") != "1") return;
        _timer ??= new Timer(_ => Console.Out.WriteLine(Line()), null, 0, 100);
    }

    /// <summary>The report line for now.</summary>
    public static string Line() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"gc-report {GC.CollectionCount(0)} {GC.CollectionCount(1)} {GC.CollectionCount(2)} {GC.GetTotalAllocatedBytes()} {GC.GetTotalMemory(false)}");
}
