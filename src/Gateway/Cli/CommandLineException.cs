namespace Exchange.Gateway.Cli;

/// <summary>
/// An expected failure of a command: printed as one line (<c>exchange client: MESSAGE</c>) and turned into its exit
/// code by <see cref="ExchangeCommandLine.Run(string[], TextWriter, TextWriter)"/>, never a stack trace.
/// </summary>
public sealed class CommandLineException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public static CommandLineException Usage(string message) => new(Cli.ExitCode.Usage, message);

    public static CommandLineException Unavailable(string message) => new(Cli.ExitCode.Unavailable, message);
}
