using System.Text.RegularExpressions;
using Exchange.Core.Events;
using Exchange.Gateway.Scenarios;
using Exchange.Gateway.Scenarios.Report;
using Exchange.Testing;
using ScenarioRunner = Exchange.Gateway.Scenarios.ScenarioRunner;

namespace Exchange.Core.Tests.Scenarios;

/// <summary><c>scenario FILE --report DIR</c>: one self-contained page, its figures taken from the run's events.</summary>
public sealed class ScenarioReportTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "exchange-gateway-tests", Guid.NewGuid().ToString("N"));

    [Theory]
    [InlineData("adl.scn")]
    [InlineData("socialized-loss.scn")]
    [InlineData("cascade-30pct-gap.scn")]
    [InlineData("calm-market.scn")]
    public void RunFile_WithReport_WritesOnePageWithEveryLiquidationAndTheJsonUnchanged(string example)
    {
        var path = ScenarioOutput.ExamplePath(example);
        var plain = new StringWriter();
        Assert.Equal(ScenarioRunner.Ok, ScenarioRunner.RunFile(path, plain, TextWriter.Null));
        var output = new StringWriter();
        var error = new StringWriter();

        Assert.Equal(ScenarioRunner.Ok, ScenarioRunner.RunFile(path, output, error, report: _directory));

        Assert.Equal(plain.ToString(), output.ToString());
        var page = Path.Combine(_directory, "index.html");
        Assert.Contains(page, error.ToString());
        var html = File.ReadAllText(page);
        Assert.Equal(2, Regex.Matches(html, "src=\"data:image/png;base64,[A-Za-z0-9+/=]{1000,}\"").Count);
        Assert.DoesNotContain("src=\"http", html);
        Assert.Contains("<span class=\"ok\">holds</span>", html);

        Assert.True(ScenarioParser.TryParse(File.ReadAllText(path), out var scenario, out _));
        var result = ScenarioRunner.Execute(scenario);
        var liquidations = ScenarioReport.Liquidations(result);
        Assert.Equal(result.Events.Count(e => e.Event.Type == EventType.LiquidationStarted), liquidations.Count);
        Assert.Equal(result.Events.Count(e => e.Event.Type == EventType.AdlClosure), liquidations.Sum(l => l.Adl.Count));
        Assert.Equal(result.Events.Where(e => e.Event.Type == EventType.Haircut).Sum(e => e.Event.Amount), liquidations.Sum(l => l.HaircutTotal));
        Assert.Equal(result.Events.Where(e => e.Event.Type == EventType.InsurancePayment).Sum(e => e.Event.Amount), liquidations.Sum(l => l.InsurancePaid));
        Assert.Equal(-result.Exchange.ExchangeLedger, liquidations.Sum(l => l.ExchangeLoss));
        // One table row per scenario line in the line-by-line table, one per liquidation in the liquidation table.
        Assert.Equal(scenario.Steps.Count + liquidations.Count + liquidations.Sum(l => l.Adl.Count),
            Regex.Matches(html, "<tr><td class=\"n\">").Count);
        InvariantChecker.AssertHolds(result.Exchange);
    }

    [Fact]
    public void RunFile_ReportIntoAFile_SaysWhyAndFails()
    {
        Directory.CreateDirectory(_directory);
        var blocker = Path.Combine(_directory, "file");
        File.WriteAllText(blocker, "");
        var error = new StringWriter();
        Assert.Equal(ScenarioRunner.Unreadable,
            ScenarioRunner.RunFile(ScenarioOutput.ExamplePath("adl.scn"), TextWriter.Null, error, report: blocker));
        Assert.StartsWith(blocker, error.ToString());
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }
}
