using Exchange.Gateway.Scenarios;

namespace Exchange.Gateway;

/// <summary>The <c>exchange</c> executable: <c>exchange scenario FILE [--summary]</c>, and later <c>exchange serve</c>.</summary>
internal static class Program
{
    private const string Usage = """
        usage: exchange scenario FILE [--summary]   run a scenario file; JSON (or a table) on stdout
               exchange serve                       run the exchange server (not yet available)
        """;

    private static int Main(string[] args)
    {
        if (args.Length == 0) return Fail();
        switch (args[0])
        {
            case "scenario":
                return Scenario(args);
            case "serve":
                Console.Error.WriteLine("exchange serve: not yet available");
                return 1;
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
