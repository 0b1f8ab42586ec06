using HdrHistogram;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace Exchange.LoadTest;

/// <summary>
/// A latency-by-percentile plot (the HdrHistogram view: percentile on a log scale of 1/(1-p), latency on a log scale),
/// drawn as a PNG with ScottPlot, so a run needs no external program.
/// </summary>
internal static class PercentilePlot
{
    private static readonly (double Percentile, string Label)[] PercentileTicks =
        [(50, "50%"), (90, "90%"), (99, "99%"), (99.9, "99.9%"), (99.99, "99.99%"), (99.999, "99.999%"), (99.9999, "99.9999%")];

    /// <summary>Writes <c>name.png</c> in <paramref name="directory"/>, one line per series; returns the report's line.</summary>
    /// <param name="series">Histograms of nanosecond values, with their legend labels.</param>
    public static string Write(string directory, string name, string title, IReadOnlyList<(string Label, HistogramBase Histogram)> series)
    {
        var plot = new Plot();
        double top = 0;
        foreach (var (label, histogram) in series)
        {
            var xs = new List<double>();
            var ys = new List<double>();
            foreach (var v in histogram.Percentiles(5))
            {
                var p = v.PercentileLevelIteratedTo / 100.0;
                if (p >= 1) break;
                // Both axes are log scales: ScottPlot draws log10 of the values and labels the ticks with the values.
                xs.Add(Math.Log10(1 / (1 - p)));
                ys.Add(Math.Log10(Math.Max(v.ValueIteratedTo, 1) / 1000.0));
            }
            if (xs.Count == 0) continue;
            top = Math.Max(top, xs[^1]);
            var line = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray());
            line.LegendText = label;
            line.LineWidth = 2;
        }

        var xTicks = new NumericManual();
        foreach (var (percentile, text) in PercentileTicks)
        {
            var x = Math.Log10(1 / (1 - percentile / 100));
            if (x <= top + 0.5) xTicks.AddMajor(x, text);
        }
        plot.Axes.Bottom.TickGenerator = xTicks;
        plot.Axes.Left.TickGenerator = new NumericAutomatic
        {
            MinorTickGenerator = new LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Microseconds(Math.Pow(10, y)),
        };
        plot.Grid.MajorLineColor = Colors.Black.WithOpacity(0.15);
        plot.Grid.MinorLineColor = Colors.Black.WithOpacity(0.05);
        plot.Grid.MinorLineWidth = 1;
        plot.Title(title.Replace(" (", "\n("), size: 14);
        plot.XLabel("percentile");
        plot.YLabel("latency (µs)");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Axes.SetLimitsX(0, Math.Max(top, 1) + 0.1);

        var path = Path.Combine(directory, name + ".png");
        plot.SavePng(path, 1000, 600);
        return $"plot: {path}";
    }

    private static string Microseconds(double us) =>
        us >= 1 ? us.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)
            : us.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
}
