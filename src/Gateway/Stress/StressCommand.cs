using System.CommandLine;
using System.Diagnostics;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Scenarios;

namespace Exchange.Gateway.Stress;

/// <summary>
/// <c>exchange stress FILE|DATA_DIR [options]</c>: builds the starting state, runs the shocks on every core and prints
/// the loss distribution as JSON (docs/stress.md); <c>--report DIR</c> adds an HTML page with plots.
/// </summary>
internal static class StressCommand
{
    public const int Ok = 0;
    public const int InvariantFailed = 1;
    public const int BadInput = 2;

    /// <summary>
    /// <c>stress</c> in the <c>exchange</c> command tree. Its arguments are read by <see cref="StressOptions"/> (their
    /// text is the help); the command line hands them over in order.
    /// </summary>
    public static Command Build()
    {
        var command = new Command("stress", StressOptions.Usage) { TreatUnmatchedTokensAsErrors = false };
        command.SetAction(parse =>
        {
            string[] args = [.. parse.UnmatchedTokens];
            var (output, error) = (parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
            if (ReferenceEquals(output, Console.Out)) return Run(args, Console.OpenStandardOutput(), error, progress: !Console.IsErrorRedirected);
            using var json = new MemoryStream();
            var code = Run(args, json, error, progress: false);
            output.Write(System.Text.Encoding.UTF8.GetString(json.ToArray()));
            return code;
        });
        return command;
    }

    /// <param name="args">The arguments after <c>stress</c>.</param>
    /// <param name="progress">Draw a progress bar on <paramref name="stderr"/> (when it is a terminal).</param>
    public static int Run(IReadOnlyList<string> args, Stream stdout, TextWriter stderr, bool progress)
    {
        if (!StressOptions.TryParse(args, out var options, out var error))
        {
            stderr.WriteLine($"exchange stress: {error}");
            stderr.Write(StressOptions.Usage);
            return BadInput;
        }
        if (options.Help)
        {
            using var help = new StreamWriter(stdout, leaveOpen: true);
            help.Write(StressOptions.Usage);
            return Ok;
        }
        StressState state;
        ShockSource source;
        try
        {
            state = Load(options);
            source = options.ShockList is { } list
                ? ShockSource.List(state, File.ReadAllText(list), list, options.Shocks)
                : ShockSource.Model(state, options);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"exchange stress: {e.Message}");
            return BadInput;
        }
        var clock = Stopwatch.StartNew();
        var bar = progress ? new ProgressBar(stderr, source.Count) : null;
        var run = StressEngine.Run(state, source.Count, source.Path, options.Workers, bar is null ? null : bar.Update);
        bar?.Finish();
        var elapsed = clock.Elapsed;
        var summary = new StressSummary(run, options.LevelsPpm, options.CoverPpm, options.Top);
        StressJsonWriter.Write(stdout, state, options, source, summary);
        stdout.WriteByte((byte)'\n');
        stdout.Flush();
        stderr.WriteLine($"exchange stress: {source.Count} shocks of {state.AccountCount} accounts in " +
                         $"{elapsed.TotalSeconds:F1} s on {run.Workers} workers");
        if (options.Report is { } dir)
        {
            StressReport.Write(dir, state, options, summary);
            stderr.WriteLine($"exchange stress: report in {Path.Combine(dir, "index.html")}");
        }
        foreach (var v in summary.Violations.Take(10)) stderr.WriteLine($"exchange stress: shock {v.Index}: {v.Violation}");
        return summary.Violations.Count == 0 ? Ok : InvariantFailed;
    }

    private static StressState Load(StressOptions options)
    {
        if (Directory.Exists(options.Input))
        {
            var config = options.Config is null ? ConfigLoader.Default() : ConfigLoader.Load(options.Config);
            config.Validate();
            return StressState.FromDataDirectory(options.Input, config, options.AsOf);
        }
        if (options.Config is not null || options.AsOf != long.MaxValue)
            throw new InvalidDataException("--config and --as-of are for a data directory");
        var text = File.ReadAllText(options.Input);
        if (!ScenarioParser.TryParse(text, out var scenario, out var problem))
            throw new InvalidDataException($"{options.Input}: {problem}");
        return StressState.FromScenario(scenario);
    }
}
