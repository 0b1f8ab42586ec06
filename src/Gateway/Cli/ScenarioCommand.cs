using System.CommandLine;
using Exchange.Gateway.Scenarios;

namespace Exchange.Gateway.Cli;

/// <summary><c>exchange scenario FILE [--summary] [--report DIR]</c>: runs a scenario file (docs/scenarios.md).</summary>
internal static class ScenarioCommand
{
    public static Command Build()
    {
        var file = new Argument<string>("file") { Description = "The scenario: one exchange command per line (docs/scenarios.md)." };
        var summary = new Option<bool>("--summary") { Description = "Print a table instead of the JSON document." };
        var report = new Option<string?>("--report")
        {
            Description = "Also write an HTML report for risk teams into this directory (DIR/index.html, self-contained).",
            HelpName = "DIR",
        };
        var command = new Command("scenario", "Run a scenario file through the exchange; every event and the final ledgers as JSON on stdout.")
        {
            file,
            summary,
            report,
        };
        command.SetAction(parse =>
        {
            var (path, table, output, error) = (parse.GetValue(file)!, parse.GetValue(summary), parse.InvocationConfiguration.Output,
                parse.InvocationConfiguration.Error);
            var reportDirectory = parse.GetValue(report);
            if (!ReferenceEquals(output, Console.Out)) return ScenarioRunner.RunFile(path, output, error, table, reportDirectory);
            // The JSON document is large and Console.Out flushes every write: a buffered stream, flushed at the end.
            using var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false };
            return ScenarioRunner.RunFile(path, stdout, error, table, reportDirectory);
        });
        return command;
    }
}
