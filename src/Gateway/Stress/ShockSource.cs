using System.Globalization;
using System.Text.Json;
using Exchange.Core.Commands;
using Exchange.Gateway.Scenarios;

namespace Exchange.Gateway.Stress;

/// <summary>Where the shocks come from: the seeded model, or an explicit list. Thread-safe.</summary>
internal abstract class ShockSource
{
    /// <summary>How many shocks there are (for the model: as many as asked).</summary>
    public abstract int Count { get; }

    /// <summary>The commands of shock <paramref name="shock"/>, 0 &lt;= shock &lt; <see cref="Count"/>.</summary>
    public abstract IReadOnlyList<Command> Path(int shock);

    /// <summary>Describes the source as the JSON result's <c>model</c> object.</summary>
    public abstract void WriteJson(Utf8JsonWriter w);

    /// <summary>
    /// The model of <paramref name="options"/> over the state's instruments, or throws
    /// <see cref="InvalidDataException"/> naming what does not fit (an unknown instrument, a bad matrix, no mark).
    /// </summary>
    public static ShockSource Model(StressState state, StressOptions options)
    {
        var instruments = state.Units.Instruments;
        var n = instruments.Count;
        var vol = new double[n];
        var maxPrice = new long[n];
        for (var i = 0; i < n; i++)
        {
            vol[i] = options.VolOf.TryGetValue(instruments[i].Name, out var own) ? own : options.Vol;
            maxPrice[i] = instruments[i].Spec.MaxPrice;
        }
        foreach (var name in options.VolOf.Keys)
            if (!instruments.Any(x => x.Name == name)) throw new InvalidDataException($"--vol-of: no instrument '{name}'");
        if (Array.TrueForAll(state.Marks, m => m <= 0)) throw new InvalidDataException("no instrument has a mark price to move");
        var matrix = options.CorrelationMatrix is null
            ? ShockModel.OneFactor(n, options.Correlation)
            : ReadMatrix(options.CorrelationMatrix, n);
        try
        {
            var model = new ShockModel(state.Marks, maxPrice, vol, matrix, options.Distribution, options.Df, options.Steps,
                options.FundingPpm, options.Seed);
            return new ModelSource(model, options, matrix, options.Shocks ?? 1000, state);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
    }

    /// <summary>
    /// A shock list: scenario lines (any command but <c>exchange</c> and <c>instrument</c>, in the state's units and
    /// names), a line <c>---</c> between shocks; groups without a command line are not shocks.
    /// </summary>
    public static ShockSource List(StressState state, string text, string path, int? take)
    {
        var lines = text.Split('\n');
        var ends = new List<int>();
        for (var i = 0; i < lines.Length; i++)
            if (lines[i].Trim() == "---")
            {
                lines[i] = "";
                ends.Add(i + 1);
            }
        if (!ScenarioParser.TryParseSteps(state.Units, string.Join('\n', lines), out var steps, out var error))
            throw new InvalidDataException($"{path}: {error}");
        ends.Add(int.MaxValue);
        var shocks = new List<Command[]>();
        var current = new List<Command>();
        var end = 0;
        foreach (var step in steps)
        {
            while (step.Line > ends[end])
            {
                if (current.Count > 0) shocks.Add([.. current]);
                current.Clear();
                end++;
            }
            current.Add(step.Command);
        }
        if (current.Count > 0) shocks.Add([.. current]);
        if (shocks.Count == 0) throw new InvalidDataException($"{path}: no shocks");
        if (take > shocks.Count) throw new InvalidDataException($"{path} has {shocks.Count} shocks, fewer than --shocks {take}");
        return new ListSource(take is { } t ? shocks.GetRange(0, t) : shocks, path);
    }

    private static double[,] ReadMatrix(string path, int n)
    {
        var rows = File.ReadAllLines(path).Select(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            .Where(r => r.Length > 0).ToList();
        if (rows.Count != n || rows.Any(r => r.Length != n))
            throw new InvalidDataException($"{path}: the correlation matrix must be {n} x {n} (one row a line)");
        var m = new double[n, n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
                if (!double.TryParse(rows[i][j], NumberStyles.Float, CultureInfo.InvariantCulture, out m[i, j]) || !double.IsFinite(m[i, j]))
                    throw new InvalidDataException($"{path}: bad number '{rows[i][j]}'");
        return m;
    }

    private sealed class ModelSource(ShockModel model, StressOptions options, double[,] matrix, int count, StressState state) : ShockSource
    {
        public override int Count => count;

        public override IReadOnlyList<Command> Path(int shock) => model.Path(shock);

        public override void WriteJson(Utf8JsonWriter w)
        {
            w.WriteStartObject("model");
            w.WriteString("kind", options.Distribution == ShockDistribution.StudentT ? "t" : "normal");
            if (options.Distribution == ShockDistribution.StudentT) w.WriteNumber("df", options.Df);
            w.WriteNumber("seed", options.Seed);
            w.WriteNumber("shocks", count);
            w.WriteNumber("steps", options.Steps);
            w.WriteStartObject("vol");
            var instruments = state.Units.Instruments;
            for (var i = 0; i < instruments.Count; i++)
                w.WriteNumber(instruments[i].Name, options.VolOf.TryGetValue(instruments[i].Name, out var v) ? v : options.Vol);
            w.WriteEndObject();
            if (options.CorrelationMatrix is null) w.WriteNumber("corr", options.Correlation);
            else
            {
                w.WriteStartArray("corr_matrix");
                for (var i = 0; i < matrix.GetLength(0); i++)
                {
                    w.WriteStartArray();
                    for (var j = 0; j < matrix.GetLength(1); j++) w.WriteNumberValue(matrix[i, j]);
                    w.WriteEndArray();
                }
                w.WriteEndArray();
            }
            if (options.FundingPpm is { } rate) w.WriteString("funding", Scenario.FormatRate(rate));
            else w.WriteNull("funding");
            w.WriteEndObject();
        }
    }

    private sealed class ListSource(List<Command[]> shocks, string path) : ShockSource
    {
        public override int Count => shocks.Count;

        public override IReadOnlyList<Command> Path(int shock) => shocks[shock];

        public override void WriteJson(Utf8JsonWriter w)
        {
            w.WriteStartObject("model");
            w.WriteString("kind", "list");
            w.WriteString("file", path);
            w.WriteNumber("shocks", shocks.Count);
            w.WriteEndObject();
        }
    }
}
