using System.CommandLine;
using Exchange.Gateway.Scenarios;

namespace Exchange.Gateway.Cli;

/// <summary><c>exchange scenario FILE [--summary]</c>: runs a scenario file (docs/scenarios.md).</summary>
internal static class ScenarioCommand
{
    public static Command Build()
    {
        var file = new Argument<string>("file") { Description = "The scenario: one exchange command per line (docs/scenarios.md)." };
        var summary = new Option<bool>("--summary") { Description = "Print a table instead of the JSON document." };
        var command = new Command("scenario", "Run a scenario file through the exchange; every event and the final ledgers as JSON on stdout.")
        {
            file,
            summary,
        };
        command.SetAction(parse =>
        {
            var (path, table, output, error) = (parse.GetValue(file)!, parse.GetValue(summary), parse.InvocationConfiguration.Output,
                parse.InvocationConfiguration.Error);
            if (!ReferenceEquals(output, Console.Out)) return ScenarioRunner.RunFile(path, output, error, table);
            // The JSON document is large and Console.Out flushes every write: a buffered stream, flushed at the end.
            using var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false };
            return ScenarioRunner.RunFile(path, stdout, error, table);
        });
        return command;
    }
}
