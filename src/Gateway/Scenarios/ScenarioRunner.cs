using Exchange.Core;

namespace Exchange.Gateway.Scenarios;

/// <summary>
/// Runs a scenario: one <see cref="Core.Exchange"/> with the scenario's loss policy, its instruments, then every
/// command line in order, each with its line number as the command's sequence. Rejections are events like any other;
/// only a malformed file is an error (exit code 2, nothing on the output).
/// </summary>
internal static class ScenarioRunner
{
    /// <summary>Exit code of a successful run.</summary>
    public const int Ok = Cli.ExitCode.Ok;
    /// <summary>Exit code of a malformed scenario.</summary>
    public const int Malformed = Cli.ExitCode.Usage;
    /// <summary>Exit code of a file that cannot be read (missing, no permission): the exit code of any I/O failure.</summary>
    public const int Unreadable = Cli.ExitCode.Unavailable;

    /// <summary>Applies a parsed scenario to a fresh exchange.</summary>
    /// <param name="scenario">The parsed scenario.</param>
    /// <param name="afterLine">Called after each line with the exchange as that line left it (the report samples it).</param>
    public static ScenarioResult Execute(Scenario scenario, Action<ScenarioStep, Core.Exchange>? afterLine = null)
    {
        var exchange = new Core.Exchange(new ExchangeOptions { Policy = scenario.Policy, CollateralDecimals = scenario.Decimals });
        foreach (var instrument in scenario.Instruments) exchange.AddInstrument(instrument.Spec);
        var accounts = new ScenarioAccounts();
        var events = new List<ScenarioEvent>();
        foreach (var step in scenario.Steps)
        {
            var command = accounts.Resolve(step);
            var applied = exchange.Apply(command);
            accounts.Observe(step, command, applied);
            var sent = step with { Command = command };
            foreach (var e in applied)
                if (EventJsonWriter.Listed(e.Type))
                    events.Add(new ScenarioEvent(sent, e));
            afterLine?.Invoke(sent, exchange);
        }
        return new ScenarioResult(scenario, exchange, accounts, events);
    }

    /// <summary>
    /// Parses and runs scenario text: the JSON document (or, with <paramref name="summary"/>, the table) goes to
    /// <paramref name="output"/>; a malformed line goes to <paramref name="error"/> as <c>line N: reason</c> and
    /// nothing is written to the output. Returns the process exit code.
    /// </summary>
    /// <param name="report">A directory for the HTML report (<see cref="Report.ScenarioReport"/>); null for none.</param>
    /// <param name="title">The report's title (the file name).</param>
    public static int Run(string text, TextWriter output, TextWriter error, bool summary = false, string? report = null,
        string title = "scenario")
    {
        if (!ScenarioParser.TryParse(text, out var scenario, out var problem))
        {
            error.WriteLine(problem.ToString());
            return Malformed;
        }
        if (report is not null)
        {
            try
            {
                error.WriteLine($"report: {Report.ScenarioReport.Write(report, scenario, title)}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"{report}: {e.Message}");
                return Unreadable;
            }
        }
        var result = Execute(scenario);
        if (summary) ScenarioSummaryWriter.Write(result, output);
        else output.Write(ScenarioJsonWriter.ToJson(result));
        return Ok;
    }

    /// <summary>Like <see cref="Run"/> for a file; a missing or unreadable file is reported and exits with <see cref="Unreadable"/>.</summary>
    public static int RunFile(string path, TextWriter output, TextWriter error, bool summary = false, string? report = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error.WriteLine($"{path}: {e.Message}");
            return Unreadable;
        }
        return Run(text, output, error, summary, report, Path.GetFileName(path));
    }
}
