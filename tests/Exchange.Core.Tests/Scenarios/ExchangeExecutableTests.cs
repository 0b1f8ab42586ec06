using System.Diagnostics;
using Exchange.Gateway.Scenarios;

namespace Exchange.Core.Tests.Scenarios;

/// <summary>The real <c>exchange</c> executable (exchange.dll, copied beside the tests), run as a process.</summary>
public sealed class ExchangeExecutableTests
{
    private static (int Code, string Stdout, string Stderr) Exchange(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "exchange.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(1)))
        {
            process.Kill();
            Assert.Fail("exchange did not exit within a minute");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void ScenarioVerb_OnTheCalmMarketExample_PrintsTheSameDocumentAsTheRunner()
    {
        var path = ScenarioOutput.ExamplePath("calm-market.scn");

        var (code, stdout, stderr) = Exchange("scenario", path);

        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.Equal(ScenarioOutput.RunExample("calm-market.scn").Json, stdout);
    }

    [Fact]
    public void ScenarioVerb_OnAMalformedFile_ExitsTwoWithTheLineOnStderrOnly()
    {
        var path = Path.Combine(Path.GetTempPath(), $"malformed-{Guid.NewGuid():N}.scn");
        File.WriteAllText(path, "# header\ndeposit alice 1.0000001\n");
        try
        {
            var (code, stdout, stderr) = Exchange("scenario", path);

            Assert.Equal(ScenarioRunner.Malformed, code);
            Assert.Equal("", stdout);
            Assert.Equal("line 2: amount 1.0000001 is not a multiple of the money unit 0.000001", stderr.TrimEnd());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void UnknownVerbOrMissingFile_SayWhatIsWrongAndExitTwo()
    {
        var unknown = Exchange("trade");
        Assert.Equal(2, unknown.Code);
        Assert.Equal("", unknown.Stdout);
        Assert.StartsWith("exchange: unknown command 'trade' (commands: scenario, serve, client, stress)", unknown.Stderr);

        var missing = Exchange("scenario");
        Assert.Equal(2, missing.Code);
        Assert.Contains("Run 'exchange scenario --help' for usage.", missing.Stderr);

        var unreadable = Exchange("scenario", "/nonexistent/none.scn");
        Assert.Equal(ScenarioRunner.Unreadable, unreadable.Code);
        Assert.StartsWith("/nonexistent/none.scn: ", unreadable.Stderr);
    }

    [Fact]
    public void ServeVerb_WithHelp_PrintsItsUsage_AndStartsNothing()
    {
        var (code, stdout, stderr) = Exchange("serve", "--help");

        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.Contains("exchange serve [options]", stdout);
        Assert.Contains("--log-format", stdout);
    }
}
