using System.Diagnostics;
using System.Globalization;
using System.Text;
using HdrHistogram;

namespace Exchange.LoadTest;

/// <summary>
/// Writes histograms of nanosecond values: HdrHistogram's percentile distribution (.hgrm, in microseconds, readable
/// by the HdrHistogram plotter), a plain data file per series, and a gnuplot percentile plot when gnuplot is on the
/// path (the run does not need it).
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

    /// <summary>Writes <c>name.gp</c> plotting the series (label, .dat file) and runs gnuplot to make <c>name.png</c> if it can.</summary>
    public static string Plot(string directory, string name, string title, IReadOnlyList<(string Label, string DataFile)> series)
    {
        var script = new StringBuilder();
        script.AppendLine("set terminal pngcairo size 1000,600 noenhanced");
        script.AppendLine($"set output '{name}.png'");
        script.AppendLine($"set title \"{title.Replace(" (", "\\n(")}\"");
        script.AppendLine("set logscale x");
        script.AppendLine("set xrange [1:*]");
        script.AppendLine("set logscale y");
        script.AppendLine("set xlabel 'percentile'");
        script.AppendLine("set ylabel 'latency (µs)'");
        script.AppendLine("set xtics ('50%%' 2, '90%%' 10, '99%%' 100, '99.9%%' 1000, '99.99%%' 10000, '99.999%%' 100000, '99.9999%%' 1000000)");
        script.AppendLine("set grid");
        script.AppendLine("set key bottom right");
        var plots = series.Select(s => $"'{Path.GetFileName(s.DataFile)}' using 2:3 with lines linewidth 2 title '{s.Label}'");
        script.AppendLine("plot " + string.Join(", \\\n     ", plots));
        var gp = Path.Combine(directory, name + ".gp");
        File.WriteAllText(gp, script.ToString());

        try
        {
            using var gnuplot = Process.Start(new ProcessStartInfo("gnuplot", name + ".gp")
            {
                WorkingDirectory = directory, RedirectStandardError = true, UseShellExecute = false,
            });
            if (gnuplot is null) return $"note: could not start gnuplot; plot script left in {gp}";
            var errors = gnuplot.StandardError.ReadToEnd();
            gnuplot.WaitForExit();
            return gnuplot.ExitCode == 0
                ? $"plot: {Path.Combine(directory, name + ".png")}"
                : $"note: gnuplot failed ({errors.Trim()}); plot script left in {gp}";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return $"note: gnuplot is not installed (apt-get install -y gnuplot-nox), so no PNG; plot script left in {gp}";
        }
    }
}
