using Exchange.Testing;
using Xunit.Abstractions;

namespace Exchange.Core.Tests.Properties;

/// <summary>
/// The fast core against the naive reference model on random scenarios: the same events one by one, the same state
/// after every command, and RULEBOOK section 9's invariants on both (and on the core's event stream) throughout.
/// </summary>
public sealed class ModelComparisonProperties(ITestOutputHelper output)
{
    private const int Scenarios = 60;

    [Fact]
    public void RandomScenarios_UnderAdlPolicy_CoreMatchesModelEventByEvent()
    {
        var stats = PropertyRun.Check(output, Generators.Scenarios(LossPolicy.Adl, 150, 250), Scenarios, ScenarioRunner.CompareWithModel);

        Assert.True(stats.Liquidations > 0, $"no liquidation happened: {stats}");
        Assert.True(stats.LiquidationFills > 0, $"no liquidation fill in the book: {stats}");
        Assert.True(stats.AdlClosures > 0, $"no ADL closure happened: {stats}");
        Assert.True(stats.InsurancePayments > 0, $"insurance never paid: {stats}");
        Assert.True(stats.Features.GetValueOrDefault("circuit breaker halt") > 0, $"no circuit breaker halted: {stats}");
        Assert.True(stats.Features.GetValueOrDefault("resume by rule") > 0, $"no halt ended by rule: {stats}");
        Assert.True(stats.RejectReasons.GetValueOrDefault(global::Exchange.Core.Events.RejectCode.InstrumentHalted) > 0, $"no order met a halt: {stats}");
    }

    [Fact]
    public void RandomScenarios_UnderSocializePolicy_CoreMatchesModelEventByEvent()
    {
        var stats = PropertyRun.Check(output, Generators.Scenarios(LossPolicy.Socialize, 150, 250), Scenarios, ScenarioRunner.CompareWithModel);

        Assert.True(stats.Liquidations > 0, $"no liquidation happened: {stats}");
        Assert.True(stats.AdlClosures > 0, $"no ADL closure happened: {stats}");
        Assert.True(stats.Haircuts > 0, $"no haircut happened: {stats}");
        Assert.True(stats.ExchangeLosses > 0, $"the exchange never absorbed a loss: {stats}");
    }

    [Theory]
    [InlineData(LossPolicy.Adl)]
    [InlineData(LossPolicy.Socialize)]
    public void InsolventWhales_InACascade_CoreRanksTheirAdlScoresExactlyLikeTheModel(LossPolicy policy)
    {
        var stats = PropertyRun.Check(output, Generators.InsolventWhaleScenarios(policy), 20, ScenarioRunner.CompareWithModel);

        // The property reached the case it is for: ADL against insolvent counterparties whose lev passed 2^62.
        Assert.True(stats.InsolventClosuresPast2To62 >= 20, $"too few ADL closures against insolvent whales: {stats}");
    }
}
