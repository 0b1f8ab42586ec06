using Exchange.Gateway.Scenarios;

namespace Exchange.Core.Tests.Scenarios;

/// <summary>How the runner turns lines into engine commands and the output document.</summary>
public sealed class ScenarioRunnerTests
{
    private const string Xyz =
        "instrument XYZ tick=1 lot=1 imr=0.10 mmr=0.05 maker=0 taker=0.001 liq_fee=0.01 band=0.50 liq_band=0.20";

    [Fact]
    public void OrderFromAnAccountWithoutDeposit_IsAnEngineRejection_NotAParseError()
    {
        var o = ScenarioOutput.Run($"{Xyz}\nmark XYZ 100\norder ghost buy XYZ 1 limit 100 id=3\nwithdraw ghost 5\ncancel ghost 3\ncancel-all ghost\namend ghost 3 qty=2");

        Assert.Equal(
        [
            "command=order account=ghost instrument=XYZ id=3 code=UNKNOWN_ACCOUNT",
            "command=withdraw account=ghost code=UNKNOWN_ACCOUNT",
            "command=cancel account=ghost id=3 code=UNKNOWN_ACCOUNT",
            "command=cancel-all account=ghost code=UNKNOWN_ACCOUNT",
            "command=amend account=ghost id=3 code=UNKNOWN_ACCOUNT",
        ], o.Describe("rejected"));
        Assert.Equal([3, 4, 5, 6, 7], o.Events("rejected").Select(e => e.GetProperty("line").GetInt32()));
        o.AssertInvariants();
    }

    [Theory]
    [InlineData("deposit bob 0", "command=deposit account=bob code=INVALID_AMOUNT")]
    [InlineData("deposit insurance -5", "command=deposit account=insurance code=INVALID_AMOUNT")]
    [InlineData("withdraw a -1", "command=withdraw account=a code=INVALID_AMOUNT")]
    [InlineData("deposit bob 2000000000000", "command=deposit account=bob code=INVALID_AMOUNT")]
    [InlineData("mark B 0", "command=mark instrument=B code=INVALID_PRICE")]
    [InlineData("mark B 100000.5", "command=mark instrument=B code=INVALID_PRICE")]
    [InlineData("order a sell B -1 market", "command=order account=a instrument=B code=INVALID_QUANTITY")]
    [InlineData("order a sell B 0.000 market", "command=order account=a instrument=B code=INVALID_QUANTITY")]
    [InlineData("order a buy B 2.001 market", "command=order account=a instrument=B code=INVALID_QUANTITY")]
    [InlineData("order a sell B 1 limit -60", "command=order account=a instrument=B code=INVALID_PRICE")]
    public void ValueTheEngineRefuses_IsARejectedEvent_AndTheRunGoesOn(string line, string rejected)
    {
        // RULEBOOK section 11: a line the engine rejects is an event, not an error; only a line that cannot be read is
        // malformed. The next line still runs.
        const string bounded = "instrument B tick=0.5 lot=0.001 imr=0.1 mmr=0.05 maker=0 taker=0.001 liq_fee=0.01 band=0.1 " +
                               "liq_band=0.05 max_price=100000 max_order=2 max_position=10";
        var o = ScenarioOutput.Run($"{bounded}\ndeposit a 1000\nmark B 100\n{line}\ndeposit a 1");

        Assert.Equal([rejected], o.Describe("rejected"));
        Assert.Equal([4], o.Events("rejected").Select(e => e.GetProperty("line").GetInt32()));
        Assert.Equal(2, o.Events("deposit").Count(e => e.GetProperty("account").GetString() == "a"));
        o.AssertInvariants();
    }

    [Fact]
    public void AccountThatDepositsAfterARejectedLine_GetsTheNextIdAndWorksFromThen()
    {
        var o = ScenarioOutput.Run($"{Xyz}\ndeposit a 10\nwithdraw late 1\ndeposit late 10\nwithdraw late 1");

        Assert.Equal(1, o.AccountId("a"));
        Assert.Equal(2, o.AccountId("late"));
        Assert.Equal(["command=withdraw account=late code=UNKNOWN_ACCOUNT"], o.Describe("rejected"));
        Assert.Equal(["account=late amount=1.000000"], o.Describe("withdrawal"));
        Assert.Equal("9.000000", o.Balance("late"));
    }

    [Fact]
    public void RejectedFirstDeposit_CreatesNoAccount_AndTheNextDepositorTakesTheNextId()
    {
        // At 0 decimals four deposits of 2^60 fill the held bound (2^62): ghost's deposit is refused, so ghost is no
        // account. A withdrawal frees room; late's deposit is accepted and late is account 2, as the core numbers it.
        const string max = "1152921504606846976";
        var o = ScenarioOutput.Run($"exchange decimals=0\n{Xyz}\ndeposit a {max}\ndeposit a {max}\ndeposit a {max}\n" +
            $"deposit a {max}\ndeposit ghost 1\norder ghost buy XYZ 1 limit 100\nwithdraw a 5\ndeposit late 5\nwithdraw late 1");

        Assert.Equal(["a", "late"], o.AccountNames());
        Assert.Equal((1, 2), (o.AccountId("a"), o.AccountId("late")));
        Assert.Equal(["command=deposit account=ghost code=INVALID_AMOUNT", "command=order account=ghost instrument=XYZ code=UNKNOWN_ACCOUNT"],
            o.Describe("rejected"));
        Assert.Equal(["account=a amount=5", "account=late amount=1"], o.Describe("withdrawal"));
        Assert.Equal("4", o.Balance("late"));
        o.AssertInvariants();
    }

    [Fact]
    public void CircuitBreaker_HaltsRefusesResumesByAdminAndByRule()
    {
        var o = ScenarioOutput.Run($"{Xyz} breaker=0.10 breaker_window=2\ndeposit a 1000\ndeposit b 1000\nmark XYZ 100\n" +
            "order b sell XYZ 1 limit 115\nmark XYZ 115\n" +
            "order a buy XYZ 1 limit 115\nresume XYZ\nresume XYZ\norder a buy XYZ 1 limit 115\nmark XYZ 140\nmark XYZ 141\nmark XYZ 142");

        Assert.Equal(["instrument=XYZ price=115 reference=100", "instrument=XYZ price=140 reference=115"], o.Describe("halt"));
        Assert.Equal(["instrument=XYZ price=115 by=admin", "instrument=XYZ price=142 by=rule"], o.Describe("resume"));
        Assert.Equal(["command=order account=a instrument=XYZ code=INSTRUMENT_HALTED", "command=resume instrument=XYZ code=INSTRUMENT_NOT_HALTED"],
            o.Describe("rejected"));
        Assert.Equal("1", o.Qty("a", "XYZ"));
        o.AssertInvariants();
    }

    [Fact]
    public void Accounts_AreNumberedInOrderOfFirstDeposit()
    {
        var o = ScenarioOutput.Run($"{Xyz}\ndeposit zed 1\ndeposit insurance 5\ndeposit amy 1\ndeposit zed 1");

        Assert.Equal(1, o.AccountId("zed"));
        Assert.Equal(2, o.AccountId("amy"));
        Assert.Equal("2.000000", o.Balance("zed"));
        Assert.Equal("5.000000", o.Insurance);
        Assert.Equal(
            ["account=zed amount=1.000000", "account=insurance amount=5.000000", "account=amy amount=1.000000", "account=zed amount=1.000000"],
            o.Describe("deposit"));
    }

    [Fact]
    public void MissingExchangeLine_DefaultsToSixDecimalsAndAdl()
    {
        var o = ScenarioOutput.Run($"{Xyz}\ndeposit a 1.5");

        Assert.Contains("\"decimals\": 6", o.Json);
        Assert.Contains("\"policy\": \"adl\"", o.Json);
        Assert.Equal("1.500000", o.Balance("a"));
    }

    [Fact]
    public void Decimals_SetTheMoneyUnitOfInputAndOutput()
    {
        var o = ScenarioOutput.Run($"exchange decimals=2\n{Xyz}\ndeposit a 10.25\nmark XYZ 3\n");

        Assert.Equal("10.25", o.Balance("a"));
        Assert.Equal("0.00", o.Insurance);
    }

    [Fact]
    public void WindowsLineEndingsAndTabs_AreAccepted()
    {
        var o = ScenarioOutput.Run($"{Xyz}\r\ndeposit\ta\t7\r\n# done\r\n");

        Assert.Equal("7.000000", o.Balance("a"));
    }

    [Fact]
    public void EngineRejection_KeepsTheRunGoingWithExitCodeZero()
    {
        var o = ScenarioOutput.Run($"{Xyz}\ndeposit a 100\norder a buy XYZ 1 limit 100\nmark XYZ 100\norder a buy XYZ 1 limit 200\nfunding XYZ 0.0001");

        Assert.Equal(
        [
            "command=order account=a instrument=XYZ code=NO_MARK_PRICE",
            "command=order account=a instrument=XYZ code=PRICE_OUT_OF_BAND",
        ], o.Describe("rejected"));
        Assert.Equal(["instrument=XYZ amount=0.000000"], o.Describe("funding-dust"));
    }

    [Fact]
    public void AmendOfAnUnknownClientId_IsRejectedByTheEngineWithUnknownOrder()
    {
        var o = ScenarioOutput.Run($"{Xyz}\ndeposit a 100\namend a 42 price=5");

        Assert.Equal(["command=amend account=a id=42 code=UNKNOWN_ORDER"], o.Describe("rejected"));
    }

    [Fact]
    public void ClientOrderIds_ReachTheEngine_ForAmendAndCancel()
    {
        var o = ScenarioOutput.Run($"{Xyz}\ndeposit a 1000\nmark XYZ 100\norder a buy XYZ 2 limit 90 id=7\namend a 7 qty=3 price=91\ncancel a 7");

        Assert.Equal(["account=a instrument=XYZ order_id=1 id=7 side=buy price=91 qty=3 priority_kept=False"], o.Describe("amended"));
        Assert.Equal(["account=a instrument=XYZ order_id=1 id=7 side=buy price=91 qty=3 reason=user"], o.Describe("cancelled"));
        Assert.Equal(0, o.OpenOrders("a"));
    }

    [Fact]
    public void OrderOptions_ReachTheEngine()
    {
        // b rests an ask; a's FOK for more than the book holds is rejected; a's cancel-maker IOC against its own ask
        // cancels that ask and trades with b; a's reduce-only market sell of 5 is clipped to its 1 lot and sells it
        // to b's bid.
        var o = ScenarioOutput.Run(
            $"{Xyz}\ndeposit a 1000\ndeposit b 1000\nmark XYZ 100\norder a sell XYZ 1 limit 100 id=1\norder b sell XYZ 1 limit 101\n" +
            "order a buy XYZ 5 limit 101 fok\norder a buy XYZ 1 limit 101 ioc stp=cancel-maker\norder b buy XYZ 1 limit 99\n" +
            "order a sell XYZ 5 market reduce-only");

        Assert.Equal(["command=order account=a instrument=XYZ code=FOK_NOT_FILLABLE"], o.Describe("rejected"));
        Assert.Equal(["account=a instrument=XYZ order_id=1 id=1 side=sell price=100 qty=1 reason=self-trade"], o.Describe("cancelled"));
        Assert.Equal("account=a instrument=XYZ order_id=5 side=sell price=50 qty=1", o.Describe("accepted")[^1]);
        Assert.Equal(["a<-b 1@101", "a->b 1@99"], o.Events("trade").Select(t =>
            $"{t.GetProperty("taker").GetString()}{(t.GetProperty("side").GetString() == "buy" ? "<-" : "->")}" +
            $"{t.GetProperty("maker").GetString()} {t.GetProperty("qty")}@{t.GetProperty("price")}"));
        Assert.Equal("0", o.Qty("a", "XYZ"));
        o.AssertInvariants();
    }

    [Fact]
    public void DefaultBounds_FitTheCoreLimit_ForTheRulebookInstrument()
    {
        // The core's fixed defaults (2^40 ticks, 2^32 lots) exceed 2^60 units with tick_value 500; the runner derives
        // bounds that fit instead of rejecting the rulebook's own example.
        Assert.True(ScenarioParser.TryParse(
            "instrument BTC-PERP tick=0.5 lot=0.001 imr=0.10 mmr=0.05 maker=-0.0001 taker=0.0005 liq_fee=0.01 band=0.10 liq_band=0.075",
            out var scenario, out var error), error?.ToString());
        var spec = scenario.Instruments[0].Spec;
        spec.Validate();
        Assert.True(spec.MaxPrice >= 20_000_000, $"max price {spec.MaxPrice} ticks");
        Assert.True(spec.MaxPositionLots >= 50_000_000, $"max position {spec.MaxPositionLots} lots");
    }

    [Fact]
    public void Summary_PrintsAccountsLedgersAndWaterfallCounts()
    {
        var stdout = new StringWriter();
        var code = ScenarioRunner.RunFile(ScenarioOutput.ExamplePath("cascade-30pct-gap.scn"), stdout, new StringWriter(), summary: true);

        Assert.Equal(ScenarioRunner.Ok, code);
        var text = stdout.ToString();
        Assert.Contains("mm        1  104785.000000", text);
        Assert.Matches(@"liquidations\s+3 ", text);
        Assert.Matches(@"ADL closures\s+2", text);
        Assert.Matches(@"insurance paid\s+2045\.000000", text);
        Assert.Matches(@"exchange loss\s+0\.000000", text);
        Assert.Contains("; ok", text);
    }

    [Fact]
    public void MissingFile_IsReportedWithTheExitCodeOfAnIoFailure()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        Assert.Equal(ScenarioRunner.Unreadable, ScenarioRunner.RunFile("/nonexistent/none.scn", stdout, stderr));
        Assert.Equal("", stdout.ToString());
        Assert.StartsWith("/nonexistent/none.scn: ", stderr.ToString());
    }

    [Fact]
    public void SameScenario_RunTwice_GivesTheSameDocument()
    {
        var text = File.ReadAllText(ScenarioOutput.ExamplePath("socialized-loss.scn"));

        Assert.Equal(ScenarioOutput.Run(text).Json, ScenarioOutput.Run(text).Json);
    }
}
