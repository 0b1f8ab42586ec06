using Exchange.Gateway.Cli;
using Exchange.Gateway.Hosting;
using Exchange.Gateway.Scenarios;
using Exchange.Gateway.Stress;

namespace Exchange.Gateway;

/// <summary>The <c>exchange</c> executable: <c>exchange scenario FILE [--summary]</c>, <c>exchange serve</c>, <c>exchange client</c>, <c>exchange stress</c>.</summary>
internal static class Program
{
    private const string Usage = """
        usage: exchange scenario FILE [--summary]   run a scenario file; JSON (or a table) on stdout
               exchange serve [--help]              run the exchange server (docs/protocol.md)
               exchange client [--help]             talk to a running server from a shell
               exchange stress FILE|DIR [--help]    the waterfall's loss distribution under random shocks
        """;

    private static int Main(string[] args)
    {
        if (args.Length == 0) return Fail();
        switch (args[0])
        {
            case "scenario":
                return Scenario(args);
            case "serve":
                return ServeCommand.Run(args, Console.Out, Console.Error);
            case "client":
                return ClientCommand.Run(args, Console.Out, Console.Error);
            case "stress":
                return StressCommand.Run(args[1..], Console.OpenStandardOutput(), Console.Error, progress: !Console.IsErrorRedirected);
            default:
                Console.Error.WriteLine($"exchange: unknown command '{args[0]}'");
                return Fail();
        }
    }

    private static int Scenario(string[] args)
    {
        string? file = null;
        var summary = false;
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] == "--summary" && !summary) summary = true;
            else if (file is null && !args[i].StartsWith("--", StringComparison.Ordinal)) file = args[i];
            else
            {
                Console.Error.WriteLine($"exchange scenario: unexpected argument '{args[i]}'");
                return Fail();
            }
        }
        if (file is null) return Fail();
        using var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false };
        return ScenarioRunner.RunFile(file, stdout, Console.Error, summary);
    }

    private static int Fail()
    {
        Console.Error.Write(Usage);
        return ScenarioRunner.Malformed;
    }
}
