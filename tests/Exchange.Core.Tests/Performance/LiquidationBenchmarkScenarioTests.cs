using Exchange.Benchmarks;
using Exchange.Testing;

namespace Exchange.Core.Tests.Performance;

/// <summary>The liquidation benchmark measures what it says: ADL closures, or haircuts over the winners, every time.</summary>
public sealed class LiquidationBenchmarkScenarioTests
{
    [Theory]
    [InlineData(LossPolicy.Adl)]
    [InlineData(LossPolicy.Socialize)]
    public void EachIteration_LiquidatesTheBankruptAccount_ThroughTheWaterfallsLastSteps(LossPolicy policy)
    {
        var benchmark = new LiquidationBenchmarks { Winners = 1_000, Policy = policy };
        benchmark.Setup();
        for (var i = 0; i < 12; i++)
        {
            if (i > 0) benchmark.Reopen();
            benchmark.MarkGap_BankruptAgainstWinners();

            // 10 lots against one-lot winners: at least ten counterparties; socialized: many more accounts haircut.
            Assert.True(benchmark.LastAdlClosures >= 10, $"{policy}: {benchmark.LastAdlClosures} ADL closures");
            if (policy == LossPolicy.Socialize)
                Assert.True(benchmark.LastHaircuts > 100, $"{benchmark.LastHaircuts} haircuts");
            else
                Assert.Equal(0, benchmark.LastHaircuts);
            InvariantChecker.AssertHolds(benchmark.Exchange);
        }
    }
}
