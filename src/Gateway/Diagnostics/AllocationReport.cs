using System.Diagnostics.Tracing;
using System.Globalization;

namespace Exchange.Gateway.Diagnostics;

/// <summary>
/// With <c>EXCHANGE_ALLOC_REPORT=1</c> in the server's environment, the runtime's allocation sampling (its
/// GCAllocationTick event, one per ~100 KB allocated, naming the type that crossed the mark) is read in process and,
/// every 5 s, the types that allocated most since the last report go to stderr as <c>alloc-report BYTES TYPE HEAP
/// ~SIZE</c> lines (the heap: small, large or pinned; the sampled object's size rounded up to a power of two): where the garbage of a sustained load comes from, without a trace file or an external tool. Sampled, so
/// only types allocating hundreds of KB per report show; the listener itself allocates a little per sample.
/// </summary>
internal sealed class AllocationReport : EventListener
{
    private const int GcKeyword = 0x1;
    private const int Top = 10;
    private static AllocationReport? _instance;

    private readonly Dictionary<string, long> _bytes = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private Timer? _timer;

    public static void Start()
    {
        if (Environment.GetEnvironmentVariable("EXCHANGE_ALLOC_REPORT") != "1") return;
        _instance ??= new AllocationReport();
        _instance._timer ??= new Timer(_ => _instance.Print(), null, 5_000, 5_000);
    }

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null) return;
        var names = e.PayloadNames!;
        string? type = null;
        long amount = 0, size = 0;
        var kind = -1;
        for (var i = 0; i < names.Count; i++)
        {
            if (names[i] == "TypeName") type = e.Payload[i] as string;
            else if (names[i] == "AllocationAmount64") amount = Convert.ToInt64(e.Payload[i], CultureInfo.InvariantCulture);
            else if (names[i] == "AllocationKind") kind = Convert.ToInt32(e.Payload[i], CultureInfo.InvariantCulture);
            else if (names[i] == "ObjectSize") size = Convert.ToInt64(e.Payload[i], CultureInfo.InvariantCulture);
        }
        if (type is null) return;
        // Which heap and how big (rounded up to a power of two): a stream segment (64 KiB), a transport's pinned pool
        // block (4 KiB) and an index array (LOH) are all Byte[] or Int64[] by type alone.
        var heap = kind switch { 0 => "small", 1 => "large", 2 => "pinned", _ => "?" };
        var key = size > 0 ? $"{type} {heap} ~{System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)size)}B" : $"{type} {heap}";
        lock (_gate) _bytes[key] = _bytes.GetValueOrDefault(key) + amount;
    }

    private void Print()
    {
        KeyValuePair<string, long>[] top;
        lock (_gate)
        {
            top = [.. _bytes];
            _bytes.Clear();
        }
        Array.Sort(top, static (a, b) => b.Value.CompareTo(a.Value));
        foreach (var (type, bytes) in top.AsSpan(0, Math.Min(Top, top.Length)))
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"alloc-report {bytes} {type}"));
    }
}
