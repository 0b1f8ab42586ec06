using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Net.Sockets;
using System.Threading.Channels;
using Exchange.Gateway.Cli.Client;
using Exchange.Gateway.Stress;

namespace Exchange.Gateway.Cli;

/// <summary>
/// The <c>exchange</c> command tree (System.CommandLine): <c>scenario</c>, <c>serve</c>, <c>client ...</c>. Every command
/// and subcommand answers <c>--help</c>; a usage error names the bad value (and the valid choices) and exits
/// <see cref="ExitCode.Usage"/>; an expected failure prints one line and exits with its <see cref="ExitCode"/>.
/// A new command is one file in this folder with a <c>Build()</c> and one line in <see cref="Build"/>.
/// </summary>
public static class ExchangeCommandLine
{
    public const string Name = "exchange";

    /// <summary>The whole command tree.</summary>
    public static Command Build()
    {
        // Not a RootCommand, whose name is the host's (testhost, dotnet): the name is the same however it runs.
        var root = new Command(Name, "A matching and liquidation engine for perpetual futures: run scenarios, serve the exchange, talk to it.")
        {
            new HelpOption(),
            new VersionOption(),
        };
        root.Subcommands.Add(ScenarioCommand.Build());
        root.Subcommands.Add(ServeCommand.Build());
        root.Subcommands.Add(ClientCommand.Build());
        root.Subcommands.Add(StressCommand.Build());
        return root;
    }

    /// <summary>Runs the process's command line on the console; returns the exit code.</summary>
    public static int Run(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Parses and runs a command line; the command's output goes to <paramref name="stdout"/>, errors to <paramref name="stderr"/>.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var parse = Build().Parse(args);
        var invocation = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            EnableDefaultExceptionHandler = false,
            // serve, watch and book handle Ctrl-C themselves (a clean logout, a clean shutdown).
            ProcessTerminationTimeout = null,
        };
        if (parse.Action is ParseErrorAction errors)
        {
            var command = parse.CommandResult.Command;
            if (parse.Errors.Count == 1 && parse.UnmatchedTokens.Count == 0 && command.Subcommands.Count > 0)
            {
                // A bare group (`exchange`, `exchange client`): its help, as a usage error.
                invocation.Output = stderr;
                errors.ShowHelp = true;
                parse.Invoke(invocation);
                return ExitCode.Usage;
            }
            foreach (var line in Describe(parse)) stderr.WriteLine($"{CommandPath(parse)}: {line}");
            stderr.WriteLine($"Run '{CommandPath(parse)} --help' for usage.");
            return ExitCode.Usage;
        }
        try
        {
            return parse.Invoke(invocation);
        }
        catch (Exception e) when (Expected(e) is { } code)
        {
            stderr.WriteLine($"{CommandPath(parse)}: {e.Message}");
            return code;
        }
    }

    /// <summary>The parse errors, one line each; an unknown subcommand with the known ones.</summary>
    private static IEnumerable<string> Describe(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        if (command.Subcommands.Count > 0 && parse.UnmatchedTokens.Count > 0)
        {
            var known = string.Join(", ", command.Subcommands.Select(c => c.Name));
            yield return $"unknown command '{parse.UnmatchedTokens[0]}' (commands: {known})";
            yield break;
        }
        foreach (var error in parse.Errors)
            yield return error.Message.Replace(":\n\t", ": ", StringComparison.Ordinal).Replace("\n\t", " ", StringComparison.Ordinal)
                .Replace("\n", " ", StringComparison.Ordinal);
    }

    /// <summary>The exit code of an expected failure; null for a bug (which keeps its stack trace).</summary>
    private static int? Expected(Exception e) => e switch
    {
        CommandLineException c => c.ExitCode,
        SocketException or IOException or TimeoutException or ChannelClosedException or UnauthorizedAccessException => ExitCode.Unavailable,
        InvalidDataException => ExitCode.Usage,
        _ => null,
    };

    /// <summary><c>exchange client place</c>, for messages.</summary>
    public static string CommandPath(ParseResult parse)
    {
        var words = new List<string>();
        for (var r = parse.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            words.Insert(0, r.Command.Name);
        return string.Join(' ', words);
    }
}
