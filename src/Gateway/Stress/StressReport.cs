using System.Net;
using System.Numerics;
using System.Text;
using Exchange.Gateway.Scenarios;
using ScottPlot;

namespace Exchange.Gateway.Stress;

/// <summary>
/// <c>--report DIR</c>: DIR/index.html with the summary tables and ScottPlot figures: a histogram of each loss that
/// occurred (socialized amount, insurance draw, exchange loss) with its VaR and expected shortfall marked, and the fund
/// adequacy curve (the fraction of shocks covered without ADL, haircuts or exchange loss, against the fund's size).
/// Plots are for the eye: their values pass through doubles; the JSON keeps the exact figures.
/// </summary>
internal static class StressReport
{
    private const int Width = 900;
    private const int Height = 450;
    private static readonly string[] Plotted = ["socialized", "insurance_draw", "exchange_loss"];

    public static void Write(string dir, StressState state, StressOptions options, StressSummary summary, BreakerComparison? compare = null)
    {
        Directory.CreateDirectory(dir);
        var units = state.Units;
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>exchange stress</title>\n")
            .Append("<style>body{font-family:sans-serif;margin:2em;max-width:980px}table{border-collapse:collapse}")
            .Append("td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#eee}</style></head><body>\n")
            .Append($"<h1>Stress: {Encode(options.Input)}</h1>\n")
            .Append($"<p>{summary.Run.Outcomes.Length} shocks of a {state.Source} state at sequence {state.Sequence}: ")
            .Append($"{state.AccountCount} accounts, {units.Instruments.Count} instruments, policy ")
            .Append(units.Policy == Core.LossPolicy.Socialize ? "socialize" : "adl")
            .Append($", insurance fund {units.FormatMoney(state.Insurance)}. Seed {options.Seed}. ")
            .Append($"Invariant failures: {summary.Violations.Count}.</p>\n");

        html.Append("<h2>Losses</h2>\n<table><tr><th>loss</th><th>mean</th><th>max</th><th>shocks &gt; 0</th>");
        foreach (var p in options.LevelsPpm) html.Append($"<th>VaR {Level(p)}</th><th>ES {Level(p)}</th>");
        html.Append("</tr>\n");
        foreach (var (name, _) in StressSummary.Losses)
        {
            var st = summary.Statistics[name];
            html.Append($"<tr><th>{name}</th><td>{units.FormatMoney(st.Mean.Rounded())}</td><td>{units.FormatMoney(st.Max)}</td><td>{st.NonZero}</td>");
            foreach (var t in st.Tails)
                html.Append($"<td>{units.FormatMoney(t.ValueAtRisk)}</td><td>{units.FormatMoney(t.ExpectedShortfall.Rounded())}</td>");
            html.Append("</tr>\n");
        }
        html.Append("</table>\n");

        foreach (var name in Plotted)
        {
            if (summary.Statistics[name].NonZero == 0) continue;
            var file = $"{name}.png";
            Histogram(summary, name, units).SavePng(Path.Combine(dir, file), Width, Height);
            html.Append($"<h3>{name}</h3>\n<img src=\"{file}\" width=\"{Width}\" alt=\"histogram of {name}\">\n");
        }

        html.Append("<h2>Insurance fund adequacy</h2>\n<p>")
            .Append($"The current fund covered {StressJsonWriter.Fraction(summary.CoveredByCurrent, summary.Run.Outcomes.Length, 4)} ")
            .Append($"of the shocks without ADL, haircuts or exchange loss; {summary.Uncoverable} shocks no fund would have covered.</p>\n")
            .Append("<table><tr><th>shocks covered</th><th>fund needed</th></tr>\n");
        foreach (var c in summary.Cover)
            html.Append($"<tr><td>{Level(c.FractionPpm)}</td><td>{(c.Fund is { } f ? units.FormatMoney(f) : "none suffices")}</td></tr>\n");
        html.Append("</table>\n");
        Adequacy(summary, units, state.Insurance).SavePng(Path.Combine(dir, "fund-adequacy.png"), Width, Height);
        html.Append($"<img src=\"fund-adequacy.png\" width=\"{Width}\" alt=\"fund adequacy curve\">\n");

        if (compare is not null) Breakers(dir, html, state, options, compare);

        if (summary.MostHit.Count > 0)
        {
            html.Append("<h2>Accounts most often deleveraged or haircut</h2>\n<table><tr><th>account</th><th>id</th><th>ADL shocks</th><th>haircut shocks</th></tr>\n");
            foreach (var h in summary.MostHit)
                html.Append($"<tr><td>{Encode(state.AccountName(h.AccountId))}</td><td>{h.AccountId}</td><td>{h.AdlShocks}</td><td>{h.HaircutShocks}</td></tr>\n");
            html.Append("</table>\n");
        }
        html.Append("</body></html>\n");
        File.WriteAllText(Path.Combine(dir, "index.html"), html.ToString());
    }

    /// <summary>The same shocks with and without circuit breakers: each loss's statistics side by side, the paired
    /// difference, and the socialized loss's quantile curves.</summary>
    private static void Breakers(string dir, StringBuilder html, StressState state, StressOptions options, BreakerComparison compare)
    {
        var units = state.Units;
        var n = compare.With.Run.Outcomes.Length;
        html.Append("<h2>Circuit breakers: the same shocks with and without</h2>\n<p>")
            .Append($"Breakers tripped in {compare.HaltedShocks} of {n} shocks ({compare.Halts} halts) and refused {compare.Refusals} ")
            .Append("orders of the shocks' commands. A breaker never stops the liquidation waterfall: it changes a loss only by ")
            .Append("refusing risk-adding orders during a halt (docs/stress.md).</p>\n")
            .Append("<table><tr><th>loss</th><th></th><th>mean</th>");
        foreach (var p in options.LevelsPpm) html.Append($"<th>VaR {Level(p)}</th><th>ES {Level(p)}</th>");
        html.Append("<th>shocks lower</th><th>shocks higher</th></tr>\n");
        foreach (var name in BreakerComparison.Compared)
        {
            var d = compare.Differences[name];
            foreach (var (label, st) in new[] { ("with", compare.With.Statistics[name]), ("without", compare.Without.Statistics[name]) })
            {
                html.Append($"<tr><th>{(label == "with" ? name : "")}</th><td>{label}</td><td>{units.FormatMoney(st.Mean.Rounded())}</td>");
                foreach (var t in st.Tails)
                    html.Append($"<td>{units.FormatMoney(t.ValueAtRisk)}</td><td>{units.FormatMoney(t.ExpectedShortfall.Rounded())}</td>");
                html.Append("<td></td><td></td></tr>\n");
            }
            html.Append($"<tr><th></th><td>difference</td><td>{units.FormatMoney(d.Mean.Rounded())}</td>");
            foreach (var (_, var, es) in d.Tails) html.Append($"<td>{units.FormatMoney(var)}</td><td>{units.FormatMoney(es.Rounded())}</td>");
            html.Append($"<td>{d.Lower}</td><td>{d.Higher}</td></tr>\n");
        }
        html.Append("</table>\n");
        var plot = new Plot();
        foreach (var (label, summary, color) in new[] { ("with breakers", compare.With, Colors.Blue), ("without", compare.Without, Colors.Red) })
        {
            var values = new double[n];
            for (var k = 0; k < n; k++) values[k] = Money(summary.Run.Outcomes[k].Socialized, units);
            Array.Sort(values);
            var fractions = new double[n];
            for (var k = 0; k < n; k++) fractions[k] = (k + 1.0) / n;
            var line = plot.Add.ScatterLine(fractions, values, color);
            line.LegendText = label;
        }
        plot.Title("Socialized loss per shock, sorted (quantile curve)");
        plot.XLabel("fraction of shocks");
        plot.YLabel("socialized amount");
        plot.ShowLegend();
        plot.SavePng(Path.Combine(dir, "breakers.png"), Width, Height);
        html.Append($"<img src=\"breakers.png\" width=\"{Width}\" alt=\"socialized loss with and without circuit breakers\">\n");
    }

    private static Plot Histogram(StressSummary summary, string name, Scenario units)
    {
        var outcomes = summary.Run.Outcomes;
        var read = Array.Find(StressSummary.Losses, l => l.Name == name).Value;
        var values = new double[outcomes.Length];
        for (var i = 0; i < values.Length; i++) values[i] = Money(read(outcomes[i]), units);
        var st = summary.Statistics[name];
        var max = Math.Max(Money(st.Max, units), 1e-9);
        const int bins = 40;
        var width = max / bins;
        var counts = new double[bins];
        foreach (var v in values) counts[Math.Min(bins - 1, (int)(v / width))]++;
        var positions = new double[bins];
        for (var b = 0; b < bins; b++) positions[b] = (b + 0.5) * width;
        var plot = new Plot();
        var bars = plot.Add.Bars(positions, counts);
        foreach (var bar in bars.Bars) bar.Size = width * 0.95;
        var colors = new[] { Colors.Red, Colors.Orange, Colors.Purple, Colors.Green };
        for (var t = 0; t < st.Tails.Count; t++)
        {
            var tail = st.Tails[t];
            var color = colors[t % colors.Length];
            var var = plot.Add.VerticalLine(Money(tail.ValueAtRisk, units), 2, color);
            var.LegendText = $"VaR {Level(tail.LevelPpm)}";
            var es = plot.Add.VerticalLine(Money(tail.ExpectedShortfall.Rounded(), units), 2, color);
            es.LinePattern = LinePattern.Dashed;
            es.LegendText = $"ES {Level(tail.LevelPpm)}";
        }
        plot.Title($"{name} per shock ({outcomes.Length} shocks)");
        plot.XLabel("amount");
        plot.YLabel("shocks");
        plot.ShowLegend();
        return plot;
    }

    private static Plot Adequacy(StressSummary summary, Scenario units, long current)
    {
        var n = summary.Run.Outcomes.Length;
        var needs = summary.Needs;
        var xs = new List<double> { 0 };
        var ys = new List<double> { 0 };
        var covered = 0;
        foreach (var need in needs)
        {
            if (need > 0)
            {
                xs.Add(Money(need, units));
                ys.Add((double)covered / n);
            }
            covered++;
            xs.Add(Money(need, units));
            ys.Add((double)covered / n);
        }
        var plot = new Plot();
        var curve = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray());
        curve.LegendText = "shocks covered";
        var line = plot.Add.VerticalLine(Money(current, units), 2, Colors.Red);
        line.LinePattern = LinePattern.Dashed;
        line.LegendText = "current fund";
        plot.Title("Insurance fund adequacy");
        plot.XLabel("insurance fund");
        plot.YLabel("fraction of shocks without ADL or haircuts");
        plot.ShowLegend();
        return plot;
    }

    private static double Money(BigInteger units, Scenario scenario) =>
        (double)units / Math.Pow(10, scenario.Decimals);

    private static string Level(long ppm) => Scenario.FormatRate(ppm);

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
