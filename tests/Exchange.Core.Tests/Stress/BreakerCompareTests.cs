using Exchange.Core.Tests.Journal;
using Exchange.Gateway.Stress;

namespace Exchange.Core.Tests.Stress;

/// <summary>
/// <c>exchange stress --breakers compare</c>: the same shocks with and without circuit breakers. A breaker never stops
/// the waterfall, so it changes a loss only through the orders a halt refuses: a tiny state where it provably does,
/// and a model of mark paths where breakers trip and, provably, change nothing.
/// </summary>
[Collection(Pipeline.PipelineThreadsCollection.Name)]
public sealed class BreakerCompareTests : IDisposable
{
    // Alice is long 100 at 100 on 3,000 of collateral, Bob short against her with plenty; no book, no insurance.
    private const string Doubling = """
        exchange decimals=0
        instrument XYZ tick=1 lot=1 imr=0.10 mmr=0.05 maker=0 taker=0 liq_fee=0.01 band=0.50 liq_band=0.20
        mark XYZ 100
        deposit alice 3000
        deposit bob 100000
        order bob sell XYZ 100 limit 100 gtc
        order alice buy XYZ 100 limit 100 ioc
        """;

    // Shock 0: a 6% drop (a 5% breaker halts), Alice doubles her long from Bob at 94, then the mark falls to 80.
    // Without breakers: long 200 at a cost of 19,400 is worth 16,000: equity 3,000 - 3,400 = -400, ADL closes her
    // against Bob at her bankruptcy value 16,400, not the 16,000 at the mark: 400 socialized. With breakers both
    // orders add risk during the halt and are refused: long 100 worth 8,000, equity 1,000 above the 400 of
    // maintenance: no liquidation, nothing socialized. Shock 1 changes nothing.
    private const string Shocks = """
        mark XYZ 94
        order bob sell XYZ 100 limit 94 gtc
        order alice buy XYZ 100 limit 94 ioc
        mark XYZ 80
        ---
        mark XYZ 100
        """;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string File(string name, string text)
    {
        var path = Path.Combine(_dir.Path, name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void AHaltThatRefusesARiskAddingOrder_RemovesTheSocializedLoss_BothDistributionsAndTheirDifference()
    {
        var report = Path.Combine(_dir.Path, "report");
        var o = StressOutput.Ok(File("doubling.scn", Doubling), "--shock-list", File("doubling.shocks", Shocks),
            "--breakers", "compare", "--breaker", "0.05", "--breaker-window", "3", "--levels", "0.5", "--per-shock", "--report", report);

        var breakers = o.Root.GetProperty("breakers");
        Assert.Equal("compare", breakers.GetProperty("mode").GetString());
        var xyz = breakers.GetProperty("instruments")[0];
        Assert.Equal(("0.05", 3), (xyz.GetProperty("band").GetString(), xyz.GetProperty("window").GetInt32()));
        Assert.Equal((1, 1, 2), (breakers.GetProperty("halted_shocks").GetInt32(), breakers.GetProperty("halts").GetInt32(),
            breakers.GetProperty("refused_orders").GetInt32()));

        // With breakers (the top level): nothing socialized. Without: 400 in shock 0.
        Assert.Equal("0", o.Loss("socialized").GetProperty("max").GetString());
        var without = breakers.GetProperty("without");
        Assert.Equal(0, without.GetProperty("invariants").GetProperty("failed").GetInt32());
        var socializedWithout = without.GetProperty("losses").GetProperty("socialized");
        Assert.Equal(("400", "200"), (socializedWithout.GetProperty("max").GetString(), socializedWithout.GetProperty("mean").GetString()));
        // p = 0.5, N = 2, k = 1: VaR = L(1) = 0, ES = L(2) / 1 = 400.
        var tail = socializedWithout.GetProperty("tail")[0];
        Assert.Equal(("0", "400"), (tail.GetProperty("var").GetString(), tail.GetProperty("es").GetString()));
        Assert.Equal(1, without.GetProperty("counts").GetProperty("with_adl").GetInt32());
        Assert.Equal(0, o.Root.GetProperty("counts").GetProperty("with_liquidations").GetInt32());

        var d = breakers.GetProperty("difference").GetProperty("socialized");
        Assert.Equal(("-200", "-400", "0"), (d.GetProperty("mean").GetString(), d.GetProperty("min").GetString(), d.GetProperty("max").GetString()));
        Assert.Equal((1, 0), (d.GetProperty("shocks_lower").GetInt32(), d.GetProperty("shocks_higher").GetInt32()));
        var dt = d.GetProperty("tail")[0];
        Assert.Equal(("0", "-400"), (dt.GetProperty("var").GetString(), dt.GetProperty("es").GetString()));
        Assert.Equal("0", breakers.GetProperty("difference").GetProperty("insurance_draw").GetProperty("max").GetString());

        var shock = o.Shock(0);
        Assert.Equal(("0", 1, 2), (shock.GetProperty("socialized").GetString(), shock.GetProperty("halts").GetInt32(),
            shock.GetProperty("halt_refusals").GetInt32()));
        Assert.Equal("400", shock.GetProperty("without").GetProperty("socialized").GetString());
        Assert.Equal(1, shock.GetProperty("without").GetProperty("liquidated").GetInt32());

        var html = System.IO.File.ReadAllText(Path.Combine(report, "index.html"));
        Assert.Contains("Circuit breakers: the same shocks with and without", html);
        Assert.Contains("<img src=\"breakers.png\"", html);
        Assert.True(new FileInfo(Path.Combine(report, "breakers.png")).Length > 1000);
    }

    [Fact]
    public void MarkPaths_TripTheBreakers_ButChangeNoLoss_TheWaterfallNeverHalts()
    {
        var state = File("book.scn", Book());
        var o = StressOutput.Ok(state, "--shocks", "40", "--seed", "5", "--steps", "4", "--vol", "0.08", "--breakers", "compare",
            "--breaker", "0.05", "--breaker-window", "2", "--workers", "2");

        var breakers = o.Root.GetProperty("breakers");
        Assert.True(breakers.GetProperty("halted_shocks").GetInt32() > 10, breakers.ToString());
        Assert.Equal(0, breakers.GetProperty("refused_orders").GetInt32());
        Assert.True(o.Root.GetProperty("counts").GetProperty("with_liquidations").GetInt32() > 0);
        foreach (var name in BreakerComparison.Compared)
        {
            var d = breakers.GetProperty("difference").GetProperty(name);
            Assert.Equal(("0.000000", "0.000000", "0.000000"), (d.GetProperty("mean").GetString(), d.GetProperty("min").GetString(), d.GetProperty("max").GetString()));
        }
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(o.Root.GetProperty("losses")),
            System.Text.Json.JsonSerializer.Serialize(breakers.GetProperty("without").GetProperty("losses")));
    }

    [Fact]
    public void Modes_AreChecked()
    {
        var state = File("doubling.scn", Doubling);
        var none = StressOutput.Run(state, "--shocks", "2", "--breakers", "compare");
        Assert.Equal(StressCommand.BadInput, none.Code);
        Assert.Contains("no instrument has a circuit breaker", none.Error);
        Assert.Equal(StressCommand.BadInput, StressOutput.Run(state, "--breaker", "0.05").Code);
        Assert.Equal(StressCommand.BadInput, StressOutput.Run(state, "--breakers", "sometimes").Code);
        // Off turns a configured breaker off; on gives the configured one.
        var configured = File("configured.scn", Doubling.Replace("liq_band=0.20", "liq_band=0.20 breaker=0.05 breaker_window=3"));
        var shocks = File("doubling.shocks", Shocks);
        Assert.Equal("400", StressOutput.Ok(configured, "--shock-list", shocks, "--breakers", "off").Loss("socialized").GetProperty("max").GetString());
        Assert.Equal("0", StressOutput.Ok(configured, "--shock-list", shocks, "--breakers", "on").Loss("socialized").GetProperty("max").GetString());
        Assert.Equal("0", StressOutput.Ok(configured, "--shock-list", shocks).Loss("socialized").GetProperty("max").GetString());
    }

    [Fact]
    public void AHaltInTheStatesHistory_MakesTheComparisonRefuse()
    {
        // With a 5% breaker the 6% drop halts and Carol's order is refused: the two starting states differ.
        var history = File("history.scn", Doubling + "\nmark XYZ 94\ndeposit carol 5000\norder carol buy XYZ 10 limit 94 gtc\n");
        var o = StressOutput.Run(history, "--shocks", "2", "--breakers", "compare", "--breaker", "0.05");
        Assert.Equal(StressCommand.BadInput, o.Code);
        Assert.Contains("starting state differs", o.Error);
    }

    private static string Book() =>
        """
        exchange decimals=6 policy=adl
        instrument A tick=0.1 lot=0.1 imr=0.10 mmr=0.05 maker=0 taker=0.0005 liq_fee=0.01 band=0.50 liq_band=0.20
        mark A 100
        deposit insurance 300
        deposit maker 1000000
        deposit t1 1000
        deposit t2 1000
        deposit t3 1500
        deposit t4 1500
        order t1 buy A 80 limit 100 gtc
        order t2 sell A 80 limit 100 ioc
        order t4 buy A 50 limit 100 gtc
        order t3 sell A 50 limit 100 ioc
        order maker buy A 20 limit 98 gtc
        order maker sell A 20 limit 102 gtc
        order maker buy A 20 limit 96 gtc
        order maker sell A 20 limit 104 gtc
        """;
}
