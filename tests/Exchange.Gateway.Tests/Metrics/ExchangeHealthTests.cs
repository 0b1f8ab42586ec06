using Exchange.Core;
using Exchange.Gateway.Metrics;
using Exchange.Testing;
using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;
using CoreExchange = Exchange.Core.Exchange;

namespace Exchange.Gateway.Tests.Metrics;

/// <summary>
/// The health model, moved by events alone, agrees with the core to the unit after every command of generated
/// scenarios full of liquidations, ADL, socialized losses and funding: ledgers and open interest per instrument.
/// </summary>
public sealed class ExchangeHealthTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(LossPolicy.Adl)]
    [InlineData(LossPolicy.Socialize)]
    public void Apply_GeneratedScenarios_MatchesTheCoreAfterEveryCommand(LossPolicy policy)
    {
        var total = new ScenarioStats();
        var config = Config.QuickThrowOnFailure.WithMaxTest(40).WithQuietOnSuccess(true);
        Prop.ForAll(Generators.Scenarios(policy, 50, 200), s => { total.Add(Run(s)); }).Check(config);
        output.WriteLine(total.ToString());
        // Not vacuous: the waterfall's steps happened.
        Assert.True(total.Liquidations > 0 && total.AdlClosures + total.Haircuts > 0 && total.InsurancePayments > 0, total.ToString());
    }

    [Fact]
    public void PositionTable_GrowsToTheHighestAccountThatTraded_NeverPastMaxAccountId()
    {
        var health = new ExchangeHealth(2, maxAccountId: 1000);
        Assert.Equal(64, health.PositionSlots(0));
        health.SeedPosition(600, 0, 5);
        Assert.Equal((1000 + 1, 64), (health.PositionSlots(0), health.PositionSlots(1)));   // 1,024 capped at 1,001
        health.SeedPosition(1000, 0, -5);
        Assert.Equal(1001, health.PositionSlots(0));
        Assert.Equal(5, health.OpenInterest(0));
        // The core refuses higher ids, so no event carries one: a bug, not growth.
        Assert.Throws<ArgumentOutOfRangeException>(() => health.SeedPosition(1001, 1, 1));
        Assert.Equal(64, health.PositionSlots(1));
        Assert.Equal(8, new ExchangeHealth(1, maxAccountId: 7).PositionSlots(0));
    }

    [Fact]
    public void MaxAccountId_IsTheCoresLimit_ADepositPastItIsRefused()
    {
        var config = Support.TestServer.Config() with { MaxAccountId = 50 };
        config.Validate();
        var core = new CoreExchange(config.ToExchangeOptions());
        foreach (var i in config.Instruments) core.AddInstrument(i.ToSpec(config.Decimals));
        Assert.Equal(50, core.Options.MaxAccountId);
        var refused = core.Apply(Core.Commands.Command.DepositTo(51, 1_000_000) with { Sequence = 1 });
        Assert.Equal(Core.Events.RejectCode.AccountLimit, refused[0].Reason);
        Assert.Contains("MaxAccountId", Assert.Throws<InvalidDataException>((config with { MaxAccountId = 0 }).Validate).Message);
    }

    [Fact]
    public void Seed_FromAStateMidway_ThenApply_MatchesTheCore()
    {
        var s = Generators.Scenarios(LossPolicy.Adl, 120, 120).Generator.Sample(10, 1)[0];
        var core = ScenarioDriver.NewCore(s);
        var driver = new ScenarioDriver(s, core);
        var half = s.Intents.Count / 2;
        for (var i = 0; i < half; i++) core.Apply(driver.Next(s.Intents[i]));
        var health = Seeded(core);
        AssertMatches(core, health);
        for (var i = half; i < s.Intents.Count; i++)
        {
            health.Apply(core.Apply(driver.Next(s.Intents[i])));
            AssertMatches(core, health);
        }
        InvariantChecker.AssertHolds(core);
    }

    [Fact]
    public void Apply_Counts_TheWaterfallsSteps()
    {
        var s = Generators.Scenarios(LossPolicy.Socialize, 200, 200).Generator.Sample(10, 5);
        foreach (var scenario in s)
        {
            var core = ScenarioDriver.NewCore(scenario);
            var driver = new ScenarioDriver(scenario, core);
            var health = new ExchangeHealth(core.InstrumentCount);
            var stats = new ScenarioStats();
            foreach (var intent in scenario.Intents)
            {
                var c = driver.Next(intent);
                var events = core.Apply(c).ToArray();
                stats.Add(c, events);
                health.Apply(events);
            }
            Assert.Equal(stats.Liquidations, health.Liquidations);
            Assert.Equal(stats.Haircuts, health.Haircuts);
            Assert.Equal(stats.Trades, health.Trades);
            long adl = 0;
            for (var i = 0; i < core.InstrumentCount; i++) adl += health.AdlClosures(i);
            Assert.Equal(stats.AdlClosures, adl);
            Assert.Equal(-core.ExchangeLedger, health.ExchangeLoss);
            InvariantChecker.AssertHolds(core);
        }
    }

    private static ScenarioStats Run(Scenario s)
    {
        var core = ScenarioDriver.NewCore(s);
        var driver = new ScenarioDriver(s, core);
        var health = Seeded(core);
        var stats = new ScenarioStats();
        stats.AddScenario();
        foreach (var intent in s.Intents)
        {
            var c = driver.Next(intent);
            var events = core.Apply(c);
            stats.Add(c, events.ToArray());
            health.Apply(events);
            AssertMatches(core, health);
        }
        InvariantChecker.AssertHolds(core);
        return stats;
    }

    private static ExchangeHealth Seeded(CoreExchange core)
    {
        var health = new ExchangeHealth(core.InstrumentCount);
        health.SeedLedgers(core.Insurance, core.Fees, core.ExchangeLedger);
        for (var a = 1; a <= core.MaxAccountId; a++)
            if (core.AccountExists(a))
                for (var i = 0; i < core.InstrumentCount; i++)
                    health.SeedPosition(a, i, core.PositionQty(a, i));
        return health;
    }

    private static void AssertMatches(CoreExchange core, ExchangeHealth health)
    {
        Assert.Equal(core.Insurance, health.Insurance);
        Assert.Equal(core.Fees, health.Fees);
        Assert.Equal(core.ExchangeLedger, health.ExchangeLedger);
        for (var i = 0; i < core.InstrumentCount; i++)
        {
            long longs = 0;
            for (var a = 1; a <= core.MaxAccountId; a++)
                if (core.AccountExists(a)) longs += Math.Max(0, core.PositionQty(a, i));
            Assert.Equal(longs, health.OpenInterest(i));
        }
    }
}
