using System.Globalization;
using System.Text;
using HdrHistogram;

namespace Exchange.LoadTest;

/// <summary>
/// Writes histograms of nanosecond values: HdrHistogram's percentile distribution (.hgrm, in microseconds, readable
/// by the HdrHistogram plotter) and a plain data file per series; <see cref="PercentilePlot"/> draws them.
/// </summary>
internal static class HistogramFiles
{
    /// <summary>Values up to 100 s in ns, 3 significant digits.</summary>
    public static LongHistogram NewNanoseconds() => new(100_000_000_000L, 3);

    public static string WriteHgrm(string directory, string name, HistogramBase histogram)
    {
        var path = Path.Combine(directory, name + ".hgrm");
        using var writer = new StreamWriter(path);
        histogram.OutputPercentileDistribution(writer, percentileTicksPerHalfDistance: 5, outputValueUnitScalingRatio: 1000.0);
        return path;
    }

    /// <summary>Percentile, 1/(1-percentile) and value in µs per line, for the plot (the 100% line has no x).</summary>
    public static string WritePlotData(string directory, string name, HistogramBase histogram)
    {
        var path = Path.Combine(directory, name + ".dat");
        var text = new StringBuilder("# percentile  1/(1-p)  microseconds\n");
        foreach (var v in histogram.Percentiles(5))
        {
            var p = v.PercentileLevelIteratedTo / 100.0;
            if (p >= 1) break;
            text.Append(CultureInfo.InvariantCulture, $"{p:F7} {1 / (1 - p):F3} {v.ValueIteratedTo / 1000.0:F3}\n");
        }
        File.WriteAllText(path, text.ToString());
        return path;
    }
}
