namespace Exchange.Core.Tests.Scenarios;

/// <summary>
/// Each scenario in examples/ run end to end; the expected strings are the figures computed by hand in the comment
/// block at the top of each file (from RULEBOOK.md, not from the engine).
/// </summary>
public sealed class ExampleScenarioTests
{
    [Fact]
    public void CalmMarket_AfterTheSession_BalancesFeesAndPositionsMatchTheHandComputation()
    {
        var o = ScenarioOutput.RunExample("calm-market.scn");

        Assert.Equal("9008.398850", o.Balance("alice"));
        Assert.Equal("1.400", o.Qty("alice", "BTC-PERP"));
        Assert.Equal("83988.500000", o.Cost("alice", "BTC-PERP"));
        Assert.Equal("711.500000", o.Upnl("alice", "BTC-PERP"));
        Assert.Equal("29938.718035", o.Balance("bob"));
        Assert.Equal("-1.000", o.Qty("bob", "BTC-PERP"));
        Assert.Equal("-59991.785715", o.Cost("bob", "BTC-PERP"));
        Assert.Equal("-508.214285", o.Upnl("bob", "BTC-PERP"));
        Assert.Equal("5002.400400", o.Balance("carol"));
        Assert.Equal("-24004.000000", o.Cost("carol", "BTC-PERP"));
        Assert.Equal("500.000000", o.Insurance);
        Assert.Equal("43.197000", o.Fees);
        Assert.Equal("0.000000", o.Exchange);
        Assert.Equal(0, o.OpenOrders("alice"));
        o.AssertInvariants();
    }

    [Fact]
    public void CalmMarket_RejectedLines_AreEventsWithTheRulebookCodes()
    {
        var o = ScenarioOutput.RunExample("calm-market.scn");

        Assert.Equal(
        [
            "command=order account=dave instrument=BTC-PERP code=UNKNOWN_ACCOUNT",
            "command=order account=bob instrument=BTC-PERP code=PRICE_OUT_OF_BAND",
            "command=order account=carol instrument=BTC-PERP code=POST_ONLY_WOULD_TRADE",
            "command=order account=carol instrument=BTC-PERP code=INSUFFICIENT_MARGIN",
            "command=cancel account=alice id=9 code=UNKNOWN_ORDER",
            "command=withdraw account=carol code=INSUFFICIENT_MARGIN",
        ], o.Describe("rejected"));
        Assert.Equal(
        [
            "account=alice instrument=BTC-PERP order_id=1 id=1 side=buy price=59990.0 qty=0.300 priority_kept=True",
            "account=alice instrument=BTC-PERP order_id=2 id=2 side=buy price=59995.0 qty=0.500 priority_kept=False",
        ], o.Describe("amended"));
        Assert.Equal(
        [
            "account=bob instrument=BTC-PERP order_id=5 side=sell price=54000.0 qty=0.200 reason=ioc-remainder",
            "account=alice instrument=BTC-PERP order_id=7 id=3 side=sell price=60600.0 qty=0.500 reason=user",
            "account=alice instrument=BTC-PERP order_id=8 id=4 side=sell price=60700.0 qty=0.200 reason=user",
        ], o.Describe("cancelled"));
    }

    [Fact]
    public void CalmMarket_Trades_CarryHandComputedQuotesFeesAndRebates()
    {
        var o = ScenarioOutput.RunExample("calm-market.scn");

        var trades = o.Events("trade");
        Assert.Equal(4, trades.Count);
        string[] expected =
        [
            "0.600 @ 59990.0 quote=35994.000000 taker_fee=17.997000 maker_fee=-3.599400",
            "0.500 @ 59995.0 quote=29997.500000 taker_fee=14.998750 maker_fee=-2.999750",
            "0.300 @ 59990.0 quote=17997.000000 taker_fee=8.998500 maker_fee=-1.799700",
            "0.400 @ 60010.0 quote=24004.000000 taker_fee=12.002000 maker_fee=-2.400400",
        ];
        for (var i = 0; i < trades.Count; i++)
        {
            var t = trades[i];
            Assert.Equal(expected[i],
                $"{t.GetProperty("qty")} @ {t.GetProperty("price")} quote={t.GetProperty("quote")} " +
                $"taker_fee={t.GetProperty("taker_fee")} maker_fee={t.GetProperty("maker_fee")}");
        }
    }

    [Fact]
    public void BookLiquidation_BidsAboveBankruptcy_AbsorbTheLongAndTheSurplusPaysTheFee()
    {
        var o = ScenarioOutput.RunExample("book-liquidation.scn");

        Assert.Equal(["account=alice equity=390.000000 mm=465.000000"], o.Describe("liquidation"));
        Assert.Equal(
        [
            "account=alice instrument=XYZ-PERP amount=57.000000",
            "account=alice instrument=XYZ-PERP amount=37.600000",
        ], o.Describe("liquidation-fee"));
        Assert.Empty(o.Events("insurance"));
        Assert.Empty(o.Events("adl"));
        Assert.Equal("455.400000", o.Balance("alice"));
        Assert.Equal("0", o.Qty("alice", "XYZ-PERP"));
        Assert.Equal("60", o.Qty("bob", "XYZ-PERP"));
        Assert.Equal("5700.000000", o.Cost("bob", "XYZ-PERP"));
        Assert.Equal("40", o.Qty("carol", "XYZ-PERP"));
        Assert.Equal("3760.000000", o.Cost("carol", "XYZ-PERP"));
        Assert.Equal("700.000000", o.Upnl("mm", "XYZ-PERP"));
        Assert.Equal("1094.600000", o.Insurance);
        Assert.Equal("10.000000", o.Fees);
        o.AssertInvariants();
    }

    [Fact]
    public void InsuranceDrawdown_FillBelowBankruptcy_IsToppedUpByInsurancePerFill()
    {
        var o = ScenarioOutput.RunExample("insurance-drawdown.scn");

        Assert.Equal(["account=alice instrument=XYZ-PERP amount=45.500000"], o.Describe("liquidation-fee"));
        Assert.Equal(["account=alice instrument=XYZ-PERP amount=205.000000"], o.Describe("insurance"));
        Assert.Equal("49.500000", o.Balance("alice"));
        Assert.Equal("0", o.Qty("alice", "XYZ-PERP"));
        Assert.Equal("4550.000000", o.Cost("bob", "XYZ-PERP"));
        Assert.Equal("4250.000000", o.Cost("carol", "XYZ-PERP"));
        Assert.Equal("840.500000", o.Insurance);
        Assert.Equal("10.000000", o.Fees);
        o.AssertInvariants();
    }

    [Fact]
    public void Adl_InsuranceExhausted_DeleveragesTheRankedShortsAtBankruptcySlices()
    {
        var o = ScenarioOutput.RunExample("adl.scn");

        Assert.Equal(
        [
            "account=alice instrument=XYZ-PERP amount=153.000000",
            "account=alice instrument=XYZ-PERP amount=47.000000",
        ], o.Describe("insurance"));
        Assert.Equal(
        [
            "account=alice counterparty=sam instrument=XYZ-PERP side=sell qty=40 quote=3537.142857 mark=85",
            "account=alice counterparty=tom instrument=XYZ-PERP side=sell qty=30 quote=2652.857143 mark=85",
        ], o.Describe("adl"));
        Assert.Equal(
            ["account=tom instrument=XYZ-PERP order_id=3 id=5 side=sell price=110 qty=10 reason=adl"],
            o.Describe("cancelled"));
        Assert.Equal("0.000000", o.Balance("alice"));
        Assert.Equal("1462.857143", o.Balance("sam"));
        Assert.Equal("0", o.Qty("sam", "XYZ-PERP"));
        Assert.Equal("3347.142857", o.Balance("tom"));
        Assert.Equal("-30", o.Qty("tom", "XYZ-PERP"));
        Assert.Equal("-3000.000000", o.Cost("tom", "XYZ-PERP"));
        Assert.Equal("2520.000000", o.Cost("bob", "XYZ-PERP"));
        Assert.Equal(1, o.OpenOrders("carol"));
        Assert.Equal("0.000000", o.Insurance);
        Assert.Equal("10.000000", o.Fees);
        Assert.Equal("0.000000", o.Exchange);
        o.AssertInvariants();
    }

    [Fact]
    public void SocializedLoss_DeficitsBeyondInsurance_AreHaircutWithRemainderUnitsThenAbsorbedByTheExchange()
    {
        var o = ScenarioOutput.RunExample("socialized-loss.scn");

        Assert.Equal(
        [
            "account=alice counterparty=cat instrument=XYZ-PERP side=sell qty=40 quote=3400.000000 mark=85",
            "account=alice counterparty=ben instrument=XYZ-PERP side=sell qty=30 quote=2550.000000 mark=85",
            "account=alice counterparty=ann instrument=XYZ-PERP side=sell qty=20 quote=1700.000000 mark=85",
            "account=eve counterparty=fay instrument=ABC-PERP side=sell qty=10 quote=500.000000 mark=50",
        ], o.Describe("adl"));
        Assert.Equal(
        [
            "account=ann bankrupt=alice amount=68.888889",
            "account=ben bankrupt=alice amount=103.333333",
            "account=cat bankrupt=alice amount=137.777778",
            "account=fay bankrupt=eve amount=100.000000",
        ], o.Describe("haircut"));
        Assert.Equal(["account=eve amount=291.000000"], o.Describe("exchange-loss"));
        Assert.Equal("0.000000", o.Balance("alice"));
        Assert.Equal("1231.111111", o.Balance("ann"));
        Assert.Equal("1346.666667", o.Balance("ben"));
        Assert.Equal("1462.222222", o.Balance("cat"));
        Assert.Equal("0.000000", o.Balance("eve"));
        Assert.Equal("1400.000000", o.Balance("gus"));
        Assert.Equal("599.400000", o.Balance("fay"));
        Assert.Equal("0.000000", o.Insurance);
        Assert.Equal("10.600000", o.Fees);
        Assert.Equal("-291.000000", o.Exchange);
        o.AssertInvariants();
    }

    [Fact]
    public void Cascade30PctGap_OneMarkCommand_LiquidatesThreeAccountsWorstFirst()
    {
        var o = ScenarioOutput.RunExample("cascade-30pct-gap.scn");

        Assert.Equal(
        [
            "account=alice equity=-1910.000000 mm=350.000000",
            "account=bob equity=-405.000000 mm=175.000000",
            "account=dan equity=-400.000000 mm=175.000000",
        ], o.Describe("liquidation"));
        // All three inside the one mark command.
        Assert.Single(o.Events("liquidation").Select(e => e.GetProperty("line").GetInt32()).Distinct());
        Assert.Equal(["account=alice instrument=XYZ-PERP amount=45.000000"], o.Describe("liquidation-fee"));
        Assert.Equal(
        [
            "account=alice instrument=XYZ-PERP amount=1455.000000",
            "account=bob instrument=XYZ-PERP amount=405.000000",
            "account=dan instrument=XYZ-PERP amount=185.000000",
        ], o.Describe("insurance"));
        Assert.Equal(
        [
            "account=bob counterparty=mm instrument=XYZ-PERP side=sell qty=50 quote=3500.000000 mark=70",
            "account=dan counterparty=mm instrument=XYZ-PERP side=sell qty=50 quote=3715.000000 mark=70",
        ], o.Describe("adl"));
        Assert.Equal("0.000000", o.Balance("alice"));
        Assert.Equal("0.000000", o.Balance("bob"));
        Assert.Equal("0.000000", o.Balance("dan"));
        Assert.Equal("104785.000000", o.Balance("mm"));
        Assert.Equal("0", o.Qty("mm", "XYZ-PERP"));
        Assert.Equal("0.000000", o.Insurance);
        Assert.Equal("15.000000", o.Fees);
        Assert.Equal("0.000000", o.Exchange);
        o.AssertInvariants();
    }

    [Fact]
    public void FundingDay_ThreePayments_MoveHandComputedAmountsAndDustToInsurance()
    {
        var o = ScenarioOutput.RunExample("funding-day.scn");

        Assert.Equal(
        [
            "account=alice instrument=BTC-PERP rate=0.0001 qty=1.234 amount=-7.404062",
            "account=bob instrument=BTC-PERP rate=0.0001 qty=-0.617 amount=3.702030",
            "account=carol instrument=BTC-PERP rate=0.0001 qty=-0.617 amount=3.702030",
            "account=alice instrument=BTC-PERP rate=0.00015 qty=1.234 amount=-11.334506",
            "account=bob instrument=BTC-PERP rate=0.00015 qty=-0.617 amount=5.667252",
            "account=carol instrument=BTC-PERP rate=0.00015 qty=-0.617 amount=5.667252",
            "account=alice instrument=BTC-PERP rate=-0.00005 qty=1.234 amount=3.694380",
            "account=bob instrument=BTC-PERP rate=-0.00005 qty=-0.617 amount=-1.847191",
            "account=carol instrument=BTC-PERP rate=-0.00005 qty=-0.617 amount=-1.847191",
        ], o.Describe("funding"));
        Assert.Equal(3, o.Describe("funding-dust").Count(d => d.EndsWith("amount=0.000002", StringComparison.Ordinal)));
        Assert.Equal("19947.935812", o.Balance("alice"));
        Assert.Equal("20011.224091", o.Balance("bob"));
        Assert.Equal("20011.224091", o.Balance("carol"));
        Assert.Equal("-152.399000", o.Upnl("alice", "BTC-PERP"));
        Assert.Equal("76.199500", o.Upnl("bob", "BTC-PERP"));
        Assert.Equal("0.000006", o.Insurance);
        Assert.Equal("29.616000", o.Fees);
        o.AssertInvariants();
    }
}
