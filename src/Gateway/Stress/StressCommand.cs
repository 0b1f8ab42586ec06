using System.CommandLine;
using System.Diagnostics;
using Exchange.Core.Instruments;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Scenarios;

namespace Exchange.Gateway.Stress;

/// <summary>
/// <c>exchange stress FILE|DATA_DIR [options]</c>: builds the starting state, runs the shocks on every core and prints
/// the loss distribution as JSON (docs/stress.md); <c>--report DIR</c> adds an HTML page with plots.
/// </summary>
internal static class StressCommand
{
    // The exit codes of every command (src/Gateway/Cli/ExitCode.cs, docs/protocol.md section 10).
    public const int Ok = Cli.ExitCode.Ok;
    /// <summary>Arguments that do not parse, an input that is malformed or does not fit (nothing on stdout).</summary>
    public const int BadInput = Cli.ExitCode.Usage;
    /// <summary>A file or directory that cannot be read, or a report that cannot be written.</summary>
    public const int Unavailable = Cli.ExitCode.Unavailable;
    /// <summary>The exchange failed: an invariant did not hold after some shock (the JSON is printed and lists them).</summary>
    public const int InvariantFailed = Cli.ExitCode.Failed;

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
        StressState? without = null;
        ShockSource source;
        try
        {
            state = Load(options, Breakers(options, on: options.Breakers != BreakerMode.Off));
            if (options.Breakers is BreakerMode.On or BreakerMode.Compare && !state.Units.Instruments.Any(i => i.Spec.BreakerBandPpm > 0))
                throw new InvalidDataException(
                    $"--breakers {(options.Breakers == BreakerMode.On ? "on" : "compare")}: no instrument has a circuit breaker; " +
                    "give them one with --breaker RATE");
            if (options.Breakers == BreakerMode.Compare)
            {
                without = Load(options, Breakers(options, on: false));
                if (state.FirstDifference(without) is { } difference)
                    throw new InvalidDataException(
                        $"with and without circuit breakers the starting state differs ({difference}): a halt in its history " +
                        "refused orders, so the comparison would not start from one state");
            }
            source = options.ShockList is { } list
                ? ShockSource.List(state, File.ReadAllText(list), list, options.Shocks)
                : ShockSource.Model(state, options);
        }
        catch (InvalidDataException e)
        {
            stderr.WriteLine($"exchange stress: {e.Message}");
            return BadInput;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"exchange stress: {e.Message}");
            return Unavailable;
        }
        var clock = Stopwatch.StartNew();
        var runs = without is null ? 1 : 2;
        var bar = progress ? new ProgressBar(stderr, runs * source.Count) : null;
        var run = StressEngine.Run(state, source.Count, source.Path, options.Workers, bar is null ? null : bar.Update);
        // The same shocks (shock k is the same path) on the state without breakers.
        var runWithout = without is null ? null
            : StressEngine.Run(without, source.Count, source.Path, options.Workers, bar is null ? null : done => bar.Update(source.Count + done));
        bar?.Finish();
        var elapsed = clock.Elapsed;
        var summary = new StressSummary(run, options.LevelsPpm, options.CoverPpm, options.Top);
        var compare = runWithout is null ? null
            : new BreakerComparison(summary, new StressSummary(runWithout, options.LevelsPpm, options.CoverPpm, options.Top));
        StressJsonWriter.Write(stdout, state, options, source, summary, compare);
        stdout.WriteByte((byte)'\n');
        stdout.Flush();
        stderr.WriteLine($"exchange stress: {runs * source.Count} shocks of {state.AccountCount} accounts in " +
                         $"{elapsed.TotalSeconds:F1} s on {run.Workers} workers");
        if (options.Report is { } dir)
        {
            try
            {
                StressReport.Write(dir, state, options, summary, compare);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"exchange stress: cannot write the report in {dir}: {e.Message}");
                return Unavailable;
            }
            stderr.WriteLine($"exchange stress: report in {Path.Combine(dir, "index.html")}");
        }
        var violations = compare is null ? summary.Violations : [.. summary.Violations, .. compare.Without.Violations];
        foreach (var v in violations.Take(10)) stderr.WriteLine($"exchange stress: shock {v.Index}: {v.Violation}");
        return violations.Count == 0 ? Ok : InvariantFailed;
    }

    /// <summary>
    /// The circuit breakers a run's instruments get: none (<paramref name="on"/> false), or <c>--breaker</c> on every
    /// instrument, or (without it) each one's own as configured; null for <c>--breakers configured</c>.
    /// </summary>
    private static Func<InstrumentSpec, InstrumentSpec>? Breakers(StressOptions options, bool on)
    {
        if (options.Breakers == BreakerMode.Configured) return null;
        if (!on) return spec => spec with { BreakerBandPpm = 0 };
        if (options.BreakerBandPpm is { } band) return spec => spec with { BreakerBandPpm = band, BreakerWindow = options.BreakerWindow };
        return spec => spec;
    }

    private static StressState Load(StressOptions options, Func<InstrumentSpec, InstrumentSpec>? breakers)
    {
        if (Directory.Exists(options.Input))
        {
            var config = options.Config is null ? ConfigLoader.Default() : ConfigLoader.Load(options.Config);
            config.Validate();
            return StressState.FromDataDirectory(options.Input, config, options.AsOf, breakers);
        }
        if (options.Config is not null || options.AsOf != long.MaxValue)
            throw new InvalidDataException("--config and --as-of are for a data directory");
        var text = File.ReadAllText(options.Input);
        if (!ScenarioParser.TryParse(text, out var scenario, out var problem))
            throw new InvalidDataException($"{options.Input}: {problem}");
        return StressState.FromScenario(scenario, breakers);
    }
}
