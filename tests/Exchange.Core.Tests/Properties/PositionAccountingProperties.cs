using Exchange.Testing;
using Xunit.Abstractions;

namespace Exchange.Core.Tests.Properties;

/// <summary>
/// RULEBOOK sections 2-3 checked on the core alone: replaying each command's events on the state before it (fees,
/// funding, insurance, haircuts, and every fill by the position rules) gives the state after it, and every fill,
/// trade or ADL closure, moves balance - C by exactly -sign(f) * V.
/// </summary>
public sealed class PositionAccountingProperties(ITestOutputHelper output)
{
    private const int Scenarios = 25;

    [Fact]
    public void EveryFillUnderAdl_MovesBalanceMinusCostByMinusSignedQuote_AndEventsExplainEveryUnit()
    {
        var stats = PropertyRun.Check(output, Generators.Scenarios(LossPolicy.Adl, 150, 250), Scenarios, ScenarioRunner.CheckFillAccounting);

        Assert.True(stats.Trades > 0 && stats.LiquidationFills > 0 && stats.AdlClosures > 0, $"too few fills of each kind: {stats}");
    }

    [Fact]
    public void EveryFillUnderSocialize_MovesBalanceMinusCostByMinusSignedQuote_AndEventsExplainEveryUnit()
    {
        var stats = PropertyRun.Check(output, Generators.Scenarios(LossPolicy.Socialize, 150, 250), Scenarios, ScenarioRunner.CheckFillAccounting);

        Assert.True(stats.Trades > 0 && stats.AdlClosures > 0 && stats.Haircuts > 0, $"too few fills and haircuts: {stats}");
    }
}
