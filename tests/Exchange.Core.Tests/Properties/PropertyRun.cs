using Exchange.Testing;
using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;

namespace Exchange.Core.Tests.Properties;

/// <summary>
/// Runs a scenario property with FsCheck and aggregates what the scenarios exercised, so each property can assert
/// that liquidations, ADL and socialization actually happened rather than passing vacuously.
/// </summary>
internal static class PropertyRun
{
    /// <summary>EXCHANGE_PROPERTY_SCALE=n runs n times as many scenarios (a longer hunt than the default test run).</summary>
    private static int Scale => int.TryParse(Environment.GetEnvironmentVariable("EXCHANGE_PROPERTY_SCALE"), out var n) && n > 0 ? n : 1;

    public static ScenarioStats Check(ITestOutputHelper output, Arbitrary<Scenario> scenarios, int maxTest,
        Func<Scenario, ScenarioStats> property, (ulong Seed, ulong Gamma, int Size)? replay = null)
    {
        var total = new ScenarioStats();
        var config = Config.QuickThrowOnFailure.WithMaxTest(maxTest * Scale).WithQuietOnSuccess(true);
        // A failing run's seed as FsCheck reports it, "(seed,gamma)" with size 0 (the same run again), or the failing
        // case's own, "invoked with size of N and seed of (seed,gamma)" (that case first).
        if (replay is { } r)
            config = config.WithReplay(Microsoft.FSharp.Core.FSharpOption<Replay>.Some(
                new Replay(new Rnd(r.Seed, r.Gamma), r.Size > 0 ? Microsoft.FSharp.Core.FSharpOption<int>.Some(r.Size) : Microsoft.FSharp.Core.FSharpOption<int>.None)));
        Prop.ForAll(scenarios, s => { total.Add(property(s)); }).Check(config);
        output.WriteLine(total.ToString());
        return total;
    }
}
