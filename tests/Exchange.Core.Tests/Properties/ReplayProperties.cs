using Exchange.Testing;
using Xunit.Abstractions;

namespace Exchange.Core.Tests.Properties;

/// <summary>RULEBOOK 9.7: the core is a deterministic state machine, so the same commands replayed into a fresh
/// exchange give the same events and the same state, bit for bit.</summary>
public sealed class ReplayProperties(ITestOutputHelper output)
{
    private const int Scenarios = 25;

    [Fact]
    public void RecordedCommands_ReplayedIntoFreshExchangeUnderAdl_GiveIdenticalEventsAndState()
    {
        var stats = PropertyRun.Check(output, Generators.Scenarios(LossPolicy.Adl, 150, 250), Scenarios, ScenarioRunner.Replay);

        Assert.True(stats.Liquidations > 0 && stats.AdlClosures > 0, $"replays never liquidated: {stats}");
    }

    [Fact]
    public void RecordedCommands_ReplayedIntoFreshExchangeUnderSocialize_GiveIdenticalEventsAndState()
    {
        var stats = PropertyRun.Check(output, Generators.Scenarios(LossPolicy.Socialize, 150, 250), Scenarios, ScenarioRunner.Replay);

        Assert.True(stats.Liquidations > 0 && stats.Haircuts > 0, $"replays never socialized a loss: {stats}");
    }
}
