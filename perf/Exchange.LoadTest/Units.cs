using System.Diagnostics;
using System.Globalization;

namespace Exchange.LoadTest;

/// <summary>Clock ticks to nanoseconds, and the human formats of the tables.</summary>
internal static class Units
{
    public static readonly double NanosecondsPerTick = 1e9 / Stopwatch.Frequency;

    public static long Nanoseconds(long ticks) => (long)(ticks * NanosecondsPerTick);

    /// <summary>A latency: ns below 1 µs, µs below 1 ms, then ms.</summary>
    public static string Latency(double ns) => ns switch
    {
        < 1_000 => string.Create(CultureInfo.InvariantCulture, $"{ns:F0} ns"),
        < 10_000 => string.Create(CultureInfo.InvariantCulture, $"{ns / 1e3:F2} µs"),
        < 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{ns / 1e3:F1} µs"),
        < 1_000_000_000 => string.Create(CultureInfo.InvariantCulture, $"{ns / 1e6:F1} ms"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{ns / 1e9:F2} s"),
    };

    /// <summary>A rate: 250k/s, 1.5M/s.</summary>
    public static string Rate(double perSecond) => perSecond >= 1e6
        ? string.Create(CultureInfo.InvariantCulture, $"{perSecond / 1e6:0.##}M/s")
        : string.Create(CultureInfo.InvariantCulture, $"{perSecond / 1e3:0.#}k/s");

    public static string Short(long rate) => rate >= 1_000_000 && rate % 1_000_000 == 0 ? $"{rate / 1_000_000}M"
        : rate >= 1_000 && rate % 1_000 == 0 ? $"{rate / 1_000}k" : rate.ToString(CultureInfo.InvariantCulture);
}
