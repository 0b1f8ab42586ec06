using System.Text;
using Exchange.Core.Events;
using Exchange.Core.Tests.Journal;
using Exchange.Gateway.Scenarios;
using Exchange.Gateway.Stress;

namespace Exchange.Core.Tests.Stress;

/// <summary><c>exchange stress</c>: hand-computed tails, reproducibility, agreement with the scenario runner.</summary>
/// <remarks>Its runs start worker threads: with the other threaded tests, not beside the parallel ones.</remarks>
[Collection(Pipeline.PipelineThreadsCollection.Name)]
public sealed class StressEngineTests : IDisposable
{
    // Alice is long 100 at 100 on 1000 of collateral, Bob short against her; no book, no insurance. At a mark of 85
    // Alice's equity is -500: ADL closes her long against Bob at her bankruptcy value 9000 (not the 8500 at the
    // mark), so Bob gives up 500 - the socialized amount - and nothing else moves.
    private const string TwoAccounts = """
        exchange decimals=0
        instrument XYZ tick=1 lot=1 imr=0.10 mmr=0.05 maker=0 taker=0 liq_fee=0.01 band=0.50 liq_band=0.20
        mark XYZ 100
        deposit alice 1000
        deposit bob 10000
        order bob sell XYZ 100 limit 100 gtc
        order alice buy XYZ 100 limit 100 ioc
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
    public void TwoPointShocks_GiveTheHandComputedVarAndExpectedShortfall()
    {
        // 39 calm shocks and one crash (the 18th): the socialized amount is 0 in 39 shocks and 500 in one.
        var shocks = new StringBuilder();
        for (var k = 0; k < 40; k++) shocks.Append(k == 17 ? "mark XYZ 85\n---\n" : "mark XYZ 100\n---\n");
        var o = StressOutput.Ok(File("two.scn", TwoAccounts), "--shock-list", File("two.shocks", shocks.ToString()),
            "--levels", "0.99,0.975,0.95", "--cover", "0.9,0.99", "--per-shock");

        // k = ceil(p N): at 0.99, k = 40, VaR = L(40) = 500 and ES = 0.4 x 500 / 0.4 = 500; at 0.975, k = 39,
        // VaR = L(39) = 0 and ES = (L(40) + 0 x L(39)) / 1 = 500; at 0.95, k = 38, ES = 500 / 2 = 250.
        Assert.Equal(("500", "500"), o.Tail("socialized", "0.99"));
        Assert.Equal(("0", "500"), o.Tail("socialized", "0.975"));
        Assert.Equal(("0", "250"), o.Tail("socialized", "0.95"));
        Assert.Equal("13", o.Loss("socialized").GetProperty("mean").GetString()); // 500 / 40 = 12.5, rounded
        Assert.Equal("500", o.Loss("socialized").GetProperty("max").GetString());
        Assert.Equal(1, o.Loss("socialized").GetProperty("shocks_nonzero").GetInt32());
        Assert.Equal("500", o.Loss("adl_shortfall").GetProperty("max").GetString());
        Assert.Equal("9000", o.Loss("adl_notional").GetProperty("max").GetString());
        Assert.Equal(("0", "0"), o.Tail("insurance_draw", "0.99"));
        Assert.Equal(("0", "0"), o.Tail("exchange_loss", "0.99"));

        var crash = o.Shock(17);
        Assert.Equal(1, crash.GetProperty("liquidated").GetInt32());
        Assert.Equal(1, crash.GetProperty("adl_closures").GetInt32());
        Assert.Equal(1, crash.GetProperty("adl_accounts").GetInt32());
        // No fund would have spared Bob: with no book, the long can only go to ADL.
        Assert.Equal(System.Text.Json.JsonValueKind.Null, crash.GetProperty("fund_needed").ValueKind);

        var fund = o.Root.GetProperty("fund");
        Assert.Equal("0.975000", fund.GetProperty("covered_by_current").GetString());
        Assert.Equal(1, fund.GetProperty("uncoverable_shocks").GetInt32());
        Assert.Equal("0", fund.GetProperty("cover")[0].GetProperty("fund").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, fund.GetProperty("cover")[1].GetProperty("fund").ValueKind);
        var hit = Assert.Single(o.Root.GetProperty("most_hit").EnumerateArray());
        Assert.Equal("bob", hit.GetProperty("account").GetString());
        Assert.Equal(1, hit.GetProperty("adl_shocks").GetInt32());
    }

    [Theory]
    [InlineData(600, "500", 1, false)]
    [InlineData(999, "500", 1, false)]
    [InlineData(1000, "1000", 0, true)]
    public void FundNeeded_IsTheSmallestFundThatAvoidsAdl(int insurance, string draw, int adl, bool covered)
    {
        // A bid at 80 could take Alice's long, but 8000 is 1000 short of her bankruptcy value: insurance must pay
        // 1000 for the book close. With even 1 less the close stops, insurance pays her -500 and ADL closes her at
        // the mark (no longer bankrupt): a fund of 1000 is the least that keeps Bob out of ADL.
        var state = TwoAccounts + $"\ndeposit insurance {insurance}\ndeposit maker 100000\norder maker buy XYZ 100 limit 80 gtc\n";
        var o = StressOutput.Ok(File("book.scn", state), "--shock-list", File("crash.shocks", "mark XYZ 85\n"), "--per-shock");

        var crash = o.Shock(0);
        Assert.Equal(draw, crash.GetProperty("insurance_draw").GetString());
        Assert.Equal(adl, crash.GetProperty("adl_closures").GetInt32());
        Assert.Equal("1000", crash.GetProperty("fund_needed").GetString());
        Assert.Equal(covered ? "1.000000" : "0.000000", o.Root.GetProperty("fund").GetProperty("covered_by_current").GetString());
    }

    [Fact]
    public void TheSameSeed_GivesTheSameNumbers_WhateverTheNumberOfWorkers()
    {
        var state = File("book.scn", Book(accounts: 60, policy: "adl"));
        string[] model = ["--shocks", "48", "--seed", "7", "--dist", "t", "--df", "3.5", "--vol", "0.08", "--corr", "0.3",
            "--steps", "2", "--funding", "0.0001", "--per-shock"];

        var one = StressOutput.Ok([state, .. model, "--workers", "1"]);
        var two = StressOutput.Ok([state, .. model, "--workers", "2"]);
        var three = StressOutput.Ok([state, .. model, "--workers", "3"]);
        var again = StressOutput.Ok([state, .. model, "--workers", "2"]);
        var otherSeed = StressOutput.Ok([state, .. model.Select(a => a == "7" ? "8" : a), "--workers", "2"]);

        Assert.Equal(one.Json, two.Json);
        Assert.Equal(one.Json, three.Json);
        Assert.Equal(one.Json, again.Json);
        Assert.NotEqual(one.Json, otherSeed.Json);
        // Not vacuous: the model liquidated, deleveraged and paid funding in some shocks.
        var counts = one.Root.GetProperty("counts");
        Assert.True(counts.GetProperty("with_liquidations").GetInt32() > 0, one.Json);
        Assert.True(counts.GetProperty("with_adl").GetInt32() > 0, one.Json);
    }

    [Theory]
    [InlineData("adl")]
    [InlineData("socialize")]
    public void AShockList_ReproducesTheScenarioRunner_ForTheSameGaps(string policy)
    {
        var state = Book(accounts: 24, policy);
        string[] gaps = ["mark A 70\nmark B 130", "mark A 88\nfunding A 0.001\nmark A 80", "mark B 100", "mark A 130\nmark B 75"];
        var o = StressOutput.Ok(File("s.scn", state), "--shock-list", File("s.shocks", string.Join("\n---\n", gaps)), "--per-shock");

        var liquidated = 0;
        for (var k = 0; k < gaps.Length; k++)
        {
            // The same lines appended to the scenario, run by the scenario runner.
            Assert.True(ScenarioParser.TryParse(state + "\n" + gaps[k], out var scenario, out var error), error?.ToString());
            var first = state.Split('\n').Length + 1;
            var run = ScenarioRunner.Execute(scenario);
            long draw = 0, haircuts = 0, loss = 0, adlNotional = 0;
            int adl = 0, liquidations = 0;
            foreach (var e in run.Events)
            {
                if (e.Step.Line < first) continue;
                switch (e.Event.Type)
                {
                    case EventType.InsurancePayment: draw += e.Event.Amount; break;
                    case EventType.Haircut: haircuts += e.Event.Amount; break;
                    case EventType.ExchangeLoss: loss += e.Event.Amount; break;
                    case EventType.AdlClosure: adl++; adlNotional += e.Event.Quote; break;
                    case EventType.LiquidationStarted: liquidations++; break;
                }
            }
            var shock = o.Shock(k);
            Assert.Equal(liquidations, shock.GetProperty("liquidations").GetInt32());
            Assert.Equal(adl, shock.GetProperty("adl_closures").GetInt32());
            Assert.Equal(Money(adlNotional), shock.GetProperty("adl_notional").GetString());
            Assert.Equal(Money(draw), shock.GetProperty("insurance_draw").GetString());
            Assert.Equal(Money(haircuts), shock.GetProperty("haircuts").GetString());
            Assert.Equal(Money(loss), shock.GetProperty("exchange_loss").GetString());
            Assert.Equal(Money(run.Exchange.Insurance), shock.GetProperty("insurance_after").GetString());
            Assert.True(run.Conservation.Ok);
            Testing.InvariantChecker.Check(run.Exchange);
            liquidated += liquidations;
        }
        Assert.True(liquidated > 0);
    }

    [Fact]
    public void ADataDirectory_IsStressedAsOfASequence()
    {
        var config = Gateway.Configuration.ConfigLoader.Default();
        Core.Exchange Fresh()
        {
            var x = new Core.Exchange(config.ToExchangeOptions());
            foreach (var i in config.Instruments) x.AddInstrument(i.ToSpec(config.Decimals));
            return x;
        }
        // BTC-PERP in the default configuration: tick 0.5, lot 0.001 (a tick value of 500 units of 10^-6), mm 3%.
        // Account 1 is long 0.15 BTC at 60000 (9000) on 1000: 9x.
        var commands = new List<Commands.Command>
        {
            Commands.Command.Mark(0, 120_000),
            Commands.Command.DepositTo(1, 1_000_000_000),
            Commands.Command.DepositTo(2, 10_000_000_000),
            Commands.Command.InsuranceDeposit(50_000_000),
            Commands.Command.Limit(2, 0, Commands.Side.Sell, 120_000, 150),
            Commands.Command.Limit(1, 0, Commands.Side.Buy, 120_000, 150),
            Commands.Command.DepositTo(3, 10_000_000_000),
            Commands.Command.Limit(3, 0, Commands.Side.Buy, 116_000, 100),
            Commands.Command.Mark(0, 119_000),
            Commands.Command.DepositTo(3, 1_000_000),
        };
        var direct = Fresh();
        var journal = Path.Combine(_dir.Path, "journal");
        using (var writer = new Core.Journal.JournalWriter(JournalFixture.Options(journal)))
        {
            for (var s = 1; s <= commands.Count; s++)
            {
                var c = commands[s - 1] with { Sequence = s };
                writer.Append(c);
                writer.Commit();
                direct.Apply(c);
                if (s == 4) new Core.Journal.SnapshotStore(Path.Combine(journal, "snapshots")).Write(s, Core.Journal.SnapshotCodec.Write(direct));
            }
        }
        // The state as of sequence 8: the snapshot at 4, then the journal up to 8 (not 9 and 10).
        var asOf8 = Fresh();
        foreach (var c in commands.Take(8).Select((c, i) => c with { Sequence = i + 1 })) asOf8.Apply(c);
        var loaded = StressState.FromDataDirectory(journal, config, 8);
        Assert.Equal(Core.Journal.SnapshotCodec.Write(asOf8), loaded.Snapshot);
        Assert.Equal(Core.Journal.SnapshotCodec.Write(direct), StressState.FromDataDirectory(journal, config, long.MaxValue).Snapshot);

        // A 10% gap down liquidates account 1 (10x long) into account 3's bid.
        var o = StressOutput.Ok(journal, "--as-of", "8", "--shock-list", File("gap.shocks", "mark BTC-PERP 54000\n"), "--per-shock");
        Assert.Equal("data", o.Root.GetProperty("input").GetProperty("source").GetString());
        Assert.Equal(8, o.Root.GetProperty("input").GetProperty("sequence").GetInt64());
        Assert.Equal(1, o.Shock(0).GetProperty("liquidated").GetInt32());

        var past = StressOutput.Run(journal, "--as-of", "11");
        Assert.Equal(StressCommand.BadInput, past.Code);
        Assert.Contains("reaches sequence 10", past.Error);
    }

    [Fact]
    public void TheReport_HasTheLossHistogramAndTheFundAdequacyCurve()
    {
        var shocks = "mark XYZ 100\n---\nmark XYZ 85\n---\nmark XYZ 90\n";
        var report = Path.Combine(_dir.Path, "report");
        StressOutput.Ok(File("two.scn", TwoAccounts), "--shock-list", File("s.shocks", shocks), "--report", report);

        var html = System.IO.File.ReadAllText(Path.Combine(report, "index.html"));
        Assert.Contains("<img src=\"socialized.png\"", html);
        Assert.Contains("<img src=\"fund-adequacy.png\"", html);
        Assert.Contains("VaR 0.99", html);
        foreach (var png in new[] { "socialized.png", "fund-adequacy.png" })
        {
            var bytes = System.IO.File.ReadAllBytes(Path.Combine(report, png));
            Assert.True(bytes.Length > 1000);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        }
        // Nothing was insured or lost by the exchange: no histogram of those.
        Assert.False(System.IO.File.Exists(Path.Combine(report, "exchange_loss.png")));
    }

    [Theory]
    [InlineData("--vol", "abc")]
    [InlineData("--dist", "cauchy")]
    [InlineData("--df", "2")]
    [InlineData("--corr", "1")]
    [InlineData("--levels", "1.5")]
    [InlineData("--workers", "0")]
    [InlineData("--bogus", "1")]
    public void BadOptions_AreUsageErrors(string option, string value)
    {
        var o = StressOutput.Run(File("two.scn", TwoAccounts), option, value);

        Assert.Equal(StressCommand.BadInput, o.Code);
        Assert.Equal("", o.Json);
        Assert.Contains("usage: exchange stress", o.Error);
    }

    [Fact]
    public void HelpListsEveryOption_AndBadInputIsReported()
    {
        var help = StressOutput.Run("--help");
        Assert.Equal(StressCommand.Ok, help.Code);
        foreach (var option in new[] { "--shocks", "--seed", "--dist", "--vol", "--corr", "--corr-matrix", "--steps", "--funding",
                     "--shock-list", "--levels", "--cover", "--workers", "--report", "--as-of", "--config" })
            Assert.Contains(option, help.Json);

        // The documented exit codes (src/Gateway/Cli/ExitCode.cs): a file that cannot be read is unavailable (3).
        Assert.Equal((0, 2, 3, 4), (StressCommand.Ok, StressCommand.BadInput, StressCommand.Unavailable, StressCommand.InvariantFailed));
        Assert.Equal(Gateway.Cli.ExitCode.Unavailable, StressOutput.Run(Path.Combine(_dir.Path, "missing.scn")).Code);
        var noList = StressOutput.Run(File("two.scn", TwoAccounts), "--shock-list", Path.Combine(_dir.Path, "missing.shocks"));
        Assert.Equal(Gateway.Cli.ExitCode.Unavailable, noList.Code);
        Assert.Equal("", noList.Json);
        var blocked = File("blocked", "a file where the report's directory should be");
        var noReport = StressOutput.Run(File("two.scn", TwoAccounts), "--shock-list", File("one.shocks", "mark XYZ 90\n"), "--report", blocked);
        Assert.Equal(Gateway.Cli.ExitCode.Unavailable, noReport.Code);
        Assert.Contains("cannot write the report", noReport.Error);
        var malformed = StressOutput.Run(File("bad.scn", "mark nothing 1\n"));
        Assert.Equal(StressCommand.BadInput, malformed.Code);
        Assert.Contains("line 1", malformed.Error);
        var badList = StressOutput.Run(File("two.scn", TwoAccounts), "--shock-list", File("bad.shocks", "mark XYZ 85\ninstrument Q\n"));
        Assert.Equal(StressCommand.BadInput, badList.Code);
        Assert.Contains("line 2", badList.Error);
        var flat = StressOutput.Run(File("flat.scn", "instrument XYZ tick=1 lot=1 imr=0.10 mmr=0.05 maker=0 taker=0 liq_fee=0.01 band=0.50 liq_band=0.20\n"));
        Assert.Equal(StressCommand.BadInput, flat.Code);
        Assert.Contains("no instrument has a mark", flat.Error);
    }

    [Fact]
    public void ACorrelationMatrix_MustBePositiveDefinite()
    {
        var state = File("b.scn", Book(accounts: 8, policy: "adl"));
        Assert.Equal(StressCommand.Ok, StressOutput.Run(state, "--shocks", "4", "--corr-matrix", File("ok.txt", "1 -0.5\n-0.5 1\n")).Code);
        var bad = StressOutput.Run(state, "--shocks", "4", "--corr-matrix", File("bad.txt", "1 1.5\n1.5 1\n"));
        Assert.Equal(StressCommand.BadInput, bad.Code);
        Assert.Contains("positive definite", bad.Error);
    }

    [Theory]
    [InlineData(new long[] { 0, 0, 0, 10, 20 }, 900_000, 20, 20, 1)]
    // p = 0.7: k = ceil(3.5) = 4, VaR = 10, ES = (20 + 0.5 x 10) / 1.5 = 16.67: the mean of VaR_u over (0.7, 1].
    [InlineData(new long[] { 20, 0, 10, 0, 0 }, 700_000, 10, 50, 3)]
    [InlineData(new long[] { 7 }, 990_000, 7, 7, 1)]
    public void Tail_IsTheEmpiricalQuantileAndItsTailMean(long[] losses, long levelPpm, long var, long esNumerator, long esDenominator)
    {
        var t = LossStatistics.Of(losses, [levelPpm]).Tails[0];

        Assert.Equal(var, t.ValueAtRisk);
        Assert.Equal(esNumerator * t.ExpectedShortfall.Denominator, esDenominator * t.ExpectedShortfall.Numerator);
    }

    private static string Money(long units) => ExactDecimal.PowerOfTen(6).Format(units);

    /// <summary>
    /// A small two-instrument book: accounts paired long against short at 2x to 9x leverage, one maker resting a
    /// thin book 2% to 6% around each mark, and a small insurance fund; no randomness.
    /// </summary>
    private static string Book(int accounts, string policy)
    {
        var s = new StringBuilder();
        s.Append($"exchange decimals=6 policy={policy}\n");
        s.Append("instrument A tick=0.1 lot=0.1 imr=0.10 mmr=0.05 maker=0 taker=0.0005 liq_fee=0.01 band=0.50 liq_band=0.20\n");
        s.Append("instrument B tick=0.1 lot=0.1 imr=0.10 mmr=0.05 maker=0 taker=0.0005 liq_fee=0.01 band=0.50 liq_band=0.20\n");
        s.Append("mark A 100\nmark B 100\ndeposit insurance 300\ndeposit maker 1000000\n");
        for (var a = 1; a <= accounts; a++) s.Append($"deposit t{a} {1000 + 97 * a % 900}\n");
        for (var a = 1; a + 1 <= accounts; a += 2)
        {
            var instrument = a % 4 == 1 ? "A" : "B";
            var lots = (2 + a % 8) * 10; // 2x to 9x of 1000 at 100
            s.Append($"order t{a} buy {instrument} {lots} limit 100 gtc\n");
            s.Append($"order t{a + 1} sell {instrument} {lots} limit 100 ioc\n");
        }
        foreach (var instrument in new[] { "A", "B" })
            for (var level = 2; level <= 6; level += 2)
            {
                s.Append($"order maker buy {instrument} 20 limit {100 - level} gtc\n");
                s.Append($"order maker sell {instrument} 20 limit {100 + level} gtc\n");
            }
        return s.ToString().TrimEnd('\n');
    }
}
