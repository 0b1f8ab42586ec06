using Exchange.Gateway.Scenarios;

namespace Exchange.Core.Tests.Scenarios;

/// <summary>
/// Malformed scenario files: each class of error stops the run with <c>line N: reason</c> on stderr, exit code 2 and
/// nothing on stdout (checked through <see cref="ScenarioRunner.Run"/>, the executable's own entry).
/// </summary>
public sealed class ScenarioParserTests
{
    private const string Btc =
        "instrument BTC-PERP tick=0.5 lot=0.001 imr=0.10 mmr=0.05 maker=-0.0001 taker=0.0005 liq_fee=0.01 band=0.10 liq_band=0.075";

    private static string Malformed(string text)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = ScenarioRunner.Run(text, stdout, stderr);
        Assert.Equal(ScenarioRunner.Malformed, code);
        Assert.Equal("", stdout.ToString());
        return stderr.ToString().TrimEnd('\n', '\r');
    }

    /// <summary>A small valid prelude (2 lines) followed by the line under test, which is line 3.</summary>
    private static string Third(string line) => Malformed($"{Btc}\ndeposit alice 1000\n{line}");

    [Fact]
    public void UnknownCommand_Fails_WithItsLineNumber()
    {
        Assert.Equal("line 1: unknown command 'buy'", Malformed("buy alice BTC-PERP 1"));
    }

    [Fact]
    public void LineNumbers_CountCommentsAndBlankLines()
    {
        Assert.Equal("line 4: unknown command 'oops'", Malformed("# a comment\n\n   \t\noops # trailing comment"));
    }

    [Theory]
    [InlineData("deposit alice", "deposit NAME|insurance AMOUNT")]
    [InlineData("deposit alice 1 2", "deposit NAME|insurance AMOUNT")]
    [InlineData("mark BTC-PERP", "mark INSTR PRICE")]
    [InlineData("withdraw alice", "withdraw NAME AMOUNT")]
    [InlineData("cancel alice", "cancel NAME ID")]
    [InlineData("cancel-all", "cancel-all NAME [INSTR]")]
    [InlineData("funding BTC-PERP 0.0001 extra", "funding INSTR RATE")]
    [InlineData("amend alice", "amend NAME ID [qty=Q] [price=P]")]
    [InlineData("order alice buy BTC-PERP 1 limit", "order NAME buy|sell INSTR QTY limit PRICE|market [gtc|ioc|fok] [post-only] [reduce-only] [stp=...] [id=N]")]
    public void WrongTokenCount_Fails_WithTheExpectedForm(string line, string usage)
    {
        Assert.Equal($"line 3: wrong number of arguments; expected: {usage}", Third(line));
    }

    [Theory]
    [InlineData("deposit bob 1e3", "bad number '1e3' for amount")]
    [InlineData("deposit bob 1,000", "bad number '1,000' for amount")]
    [InlineData("deposit bob .5", "bad number '.5' for amount")]
    [InlineData("deposit bob 5.", "bad number '5.' for amount")]
    [InlineData("deposit bob ten", "bad number 'ten' for amount")]
    [InlineData("mark BTC-PERP 6O000", "bad number '6O000' for price")]
    [InlineData("funding BTC-PERP 1%", "bad number '1%' for the funding rate")]
    [InlineData("cancel alice x", "order id must be a whole number > 0, got 'x'")]
    public void BadNumber_Fails_NamingTheToken(string line, string reason)
    {
        Assert.Equal($"line 3: {reason}", Third(line));
    }

    [Theory]
    [InlineData("deposit bob 0.0000001", "amount 0.0000001 is not a multiple of the money unit 0.000001")]
    [InlineData("withdraw alice 1.0000005", "amount 1.0000005 is not a multiple of the money unit 0.000001")]
    [InlineData("mark BTC-PERP 60000.25", "price 60000.25 is not a multiple of the tick 0.5")]
    [InlineData("order alice buy BTC-PERP 0.0015 limit 60000", "quantity 0.0015 is not a multiple of the lot 0.001")]
    [InlineData("order alice buy BTC-PERP 1 limit 59999.9", "price 59999.9 is not a multiple of the tick 0.5")]
    [InlineData("funding BTC-PERP 0.0000001", "funding rate 0.0000001 is not a whole ppm (0.000001)")]
    public void AmountNotAMultipleOfItsUnit_Fails_NamingTheUnit(string line, string reason)
    {
        Assert.Equal($"line 3: {reason}", Third(line));
    }

    [Fact]
    public void MoneyUnit_FollowsTheDecimalsSetting()
    {
        Assert.Equal("line 3: amount 10.001 is not a multiple of the money unit 0.01",
            Malformed("exchange decimals=2\ninstrument X tick=1 lot=1 imr=0.1 mmr=0.05 maker=0 taker=0.001 liq_fee=0.01 band=0.1 liq_band=0.05\ndeposit a 10.001"));
    }

    [Fact]
    public void ZeroOrderId_Fails()
    {
        Assert.Equal("line 3: order id must be a whole number > 0, got '0'", Third("order alice sell BTC-PERP 1 market id=0"));
    }

    [Theory]
    [InlineData("mark ETH-PERP 100", "unknown instrument 'ETH-PERP' (declare it with an instrument line first)")]
    [InlineData("order alice buy ETH-PERP 1 market", "unknown instrument 'ETH-PERP' (declare it with an instrument line first)")]
    [InlineData("cancel-all alice ETH-PERP", "unknown instrument 'ETH-PERP' (declare it with an instrument line first)")]
    [InlineData("deposit fees 10", "'fees' names a ledger, not an account")]
    [InlineData("order exchange buy BTC-PERP 1 market", "'exchange' names a ledger, not an account")]
    [InlineData("withdraw insurance 10", "'insurance' names a ledger, not an account")]
    public void UnknownOrReservedName_Fails(string line, string reason)
    {
        Assert.Equal($"line 3: {reason}", Third(line));
    }

    [Fact]
    public void InstrumentUsedBeforeItsDeclaration_Fails()
    {
        Assert.Equal("line 1: unknown instrument 'BTC-PERP' (declare it with an instrument line first)",
            Malformed($"mark BTC-PERP 60000\n{Btc}"));
    }

    [Theory]
    [InlineData("deposit bob 99999999999999", "amount 99999999999999 does not fit a command (64-bit units)")]
    [InlineData("funding BTC-PERP 0.2", "funding rate 0.2 is past the bound +/-0.1")]
    [InlineData("cancel alice 99999999999999999999", "order id must be a whole number > 0, got '99999999999999999999'")]
    public void ValuePastItsBound_Fails(string line, string reason)
    {
        Assert.Equal($"line 3: {reason}", Third(line));
    }

    [Fact]
    public void ValueNotAMultipleOfItsUnit_Fails()
    {
        Assert.Equal("line 3: quantity 0.0005 is not a multiple of the lot 0.001", Third("order alice sell BTC-PERP 0.0005 market"));
    }

    [Fact]
    public void ExplicitBoundsPastTheNotionalLimit_Fail()
    {
        const string prefix = "instrument X tick=1 lot=1 imr=0.1 mmr=0.05 maker=0 taker=0.001 liq_fee=0.01 band=0.5 liq_band=0.2";
        Assert.Equal("line 1: max_price 9000000000000000000 is past the bound 1152921504606846976",
            Malformed($"{prefix} max_price=9000000000000000000 max_order=1 max_position=1"));
        Assert.Equal("line 1: X: max position x max price x tick_value exceeds 1152921504606846976",
            Malformed($"{prefix} max_price=1000000000000 max_order=1 max_position=1"));
        Assert.Equal("line 1: X: breaker window must be in 1..1000, got 0", Malformed($"{prefix} breaker=0.1 breaker_window=0"));
        Assert.Equal("line 1: breaker 0.1234567 is not a whole ppm (0.000001)", Malformed($"{prefix} breaker=0.1234567"));
    }

    [Theory]
    [InlineData("exchange decimals=19", "line 1: decimals must be a whole number from 0 to 18, got '19'")]
    [InlineData("exchange decimals=-1", "line 1: decimals must be a whole number from 0 to 18, got '-1'")]
    [InlineData("exchange decimals=18", "line 1: with 18 decimals the exchange could hold at most 4 tokens of collateral " +
        "(MaxTotalHeld 4611686018427387904 units), fewer than 1000000000: use fewer decimals (at most 9); the exchange's " +
        "unit need not be the collateral token's smallest unit")]
    [InlineData("exchange policy=bail-out", "line 1: policy must be adl or socialize, got 'bail-out'")]
    [InlineData("exchange fees=0", "line 1: unknown parameter 'fees' for 'exchange'")]
    [InlineData("exchange decimals", "line 1: expected key=value, got 'decimals'")]
    [InlineData("deposit a 1\nexchange decimals=2", "line 2: 'exchange' must be the first command")]
    public void ExchangeSettings_MustBeValidAndFirst(string text, string expected)
    {
        Assert.Equal(expected, Malformed(text));
    }

    [Theory]
    [InlineData("tick=1 lot=1 imr=0.1 mmr=0.05 maker=0 taker=0.001 liq_fee=0.01 band=0.1", "instrument needs liq_band=")]
    [InlineData("tick=1 lot=1 imr=0.1 mmr=0.05 maker=0 taker=0.001 liq_fee=0.01 band=0.1 liq_band=0.05 colour=red",
        "unknown parameter 'colour' for 'instrument'")]
    [InlineData("tick=1 tick=2 lot=1 imr=0.1 mmr=0.05 maker=0 taker=0.001 liq_fee=0.01 band=0.1 liq_band=0.05", "tick= given twice")]
    [InlineData("tick=0 lot=1 imr=0.1 mmr=0.05 maker=0 taker=0.001 liq_fee=0.01 band=0.1 liq_band=0.05", "tick must be positive, got 0")]
    [InlineData("tick=0.5 lot=0.000001 imr=0.1 mmr=0.05 maker=0 taker=0.001 liq_fee=0.01 band=0.1 liq_band=0.05",
        "tick_value = tick x lot x 10^6 = 0.0000005 x 10^6 must be a positive integer")]
    [InlineData("tick=1 lot=1 imr=0.1 mmr=0.05 maker=0.00000001 taker=0.001 liq_fee=0.01 band=0.1 liq_band=0.05",
        "maker 0.00000001 is not a whole ppm (0.000001)")]
    [InlineData("tick=1 lot=1 imr=0.05 mmr=0.1 maker=0 taker=0.001 liq_fee=0.01 band=0.1 liq_band=0.05", "X: need 1e6 >= imr > mmr > 0")]
    [InlineData("tick=1 lot=1 imr=0.1 mmr=0.05 maker=-0.002 taker=0.001 liq_fee=0.01 band=0.1 liq_band=0.05", "X: need 1e6 >= taker >= |maker|")]
    [InlineData("tick=1 lot=1 imr=2 mmr=0.05 maker=0 taker=0.001 liq_fee=0.01 band=0.1 liq_band=0.05", "imr 2 is past the bound 1")]
    public void InstrumentLine_WithMissingOrInvalidParameters_Fails(string parameters, string reason)
    {
        Assert.Equal($"line 1: {reason}", Malformed($"instrument X {parameters}"));
    }

    [Fact]
    public void InstrumentDeclaredTwice_Fails()
    {
        Assert.Equal("line 2: instrument 'BTC-PERP' is already declared", Malformed($"{Btc}\n{Btc}"));
    }

    [Theory]
    [InlineData("order alice hold BTC-PERP 1 market", "side must be buy or sell, got 'hold'")]
    [InlineData("order alice buy BTC-PERP 1 stop 60000", "order type must be limit PRICE or market, got 'stop'")]
    [InlineData("order alice buy BTC-PERP 1 market day", "unknown order option 'day'")]
    [InlineData("order alice buy BTC-PERP 1 limit 60000 gtc ioc", "time in force given twice ('ioc')")]
    [InlineData("order alice buy BTC-PERP 1 limit 60000 post-only post-only", "'post-only' given twice")]
    [InlineData("order alice buy BTC-PERP 1 limit 60000 stp=cancel-all", "stp must be cancel-taker, cancel-maker or cancel-both, got 'cancel-all'")]
    [InlineData("order alice buy BTC-PERP 1 limit 60000 id=1 id=2", "id= given twice")]
    [InlineData("order alice buy BTC-PERP 1 market gtc", "a market order is ioc or fok, not gtc")]
    [InlineData("amend alice 1", "wrong number of arguments; expected: amend NAME ID [qty=Q] [price=P]")]
    [InlineData("amend alice 1 size=2", "unknown parameter 'size' for 'amend'")]
    public void OrderAndAmendOptions_AreChecked(string line, string reason)
    {
        Assert.Equal($"line 3: {reason}", Third(line));
    }

    [Fact]
    public void AmendValues_AreReadInTheUnitsOfTheOrdersInstrument()
    {
        Assert.Equal("line 5: qty 0.0005 is not a multiple of the lot 0.001",
            Malformed($"{Btc}\ndeposit alice 1000\nmark BTC-PERP 60000\norder alice buy BTC-PERP 0.01 limit 59000 id=4\namend alice 4 qty=0.0005"));
    }

    [Fact]
    public void ValidScenario_ParsesIntoNamedAndSequencedCommands()
    {
        Assert.True(ScenarioParser.TryParse(
            $"exchange decimals=6 policy=socialize\n{Btc}\ndeposit bob 5\ndeposit insurance 1\ndeposit alice 2\ndeposit bob 1",
            out var scenario, out var error), error?.ToString());
        Assert.Equal(LossPolicy.Socialize, scenario.Policy);
        Assert.Equal(["bob", null, "alice", "bob"], scenario.Steps.Select(s => s.AccountName));
        Assert.Equal(500, scenario.Instruments[0].Spec.TickValue);
        Assert.Equal(-100, scenario.Instruments[0].Spec.MakerFeePpm);
        Assert.Equal([3, 4, 5, 6], scenario.Steps.Select(s => s.Line));
        Assert.Equal([3L, 4, 5, 6], scenario.Steps.Select(s => s.Command.Sequence));
        Assert.Equal(5_000_000, scenario.Steps[0].Command.Amount);
        // Account ids are given by the run, in order of accepted deposits (ScenarioRunnerTests).
        Assert.Empty(scenario.Accounts);
    }
}
