using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using Exchange.Core;
using Exchange.Core.Commands;
using Exchange.Core.Instruments;

namespace Exchange.Gateway.Scenarios;

/// <summary>
/// Reads a scenario file (RULEBOOK section 11) into commands for the core. Strict: every token is checked, amounts must
/// be whole units, and the first malformed line stops parsing with its line number and reason. Whatever the engine
/// itself can judge from its state (unknown accounts, margin, bands, orders) is not checked here: such a line is sent
/// and its rejection becomes an event.
/// </summary>
internal sealed class ScenarioParser
{
    private const string Insurance = "insurance";
    private static readonly ExchangeOptions Defaults = new();

    private readonly List<ScenarioInstrument> _instruments = [];
    private readonly Dictionary<string, int> _instrumentIds = new(StringComparer.Ordinal);
    private readonly List<string> _accounts = [];
    private readonly Dictionary<string, int> _accountIds = new(StringComparer.Ordinal);
    private readonly List<ScenarioStep> _steps = [];
    // (account name, client order id) -> instrument of the latest order line with that id: the units of an amend.
    private readonly Dictionary<(string, long), int> _orderInstruments = new();
    private int _decimals = 6;
    private LossPolicy _policy = LossPolicy.Adl;
    private bool _sawCommand;
    private bool _continuation;
    private int _line;
    private string _reason = "";

    private ScenarioParser()
    {
    }

    /// <summary>Parses a whole scenario; on failure <paramref name="error"/> says which line and why.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out Scenario? scenario, [NotNullWhen(false)] out ScenarioError? error)
    {
        var parser = new ScenarioParser();
        scenario = null;
        if (!parser.ParseText(text, out error)) return false;
        // A file's account ids are given by its run (ScenarioAccounts): the parse knows no account.
        scenario = new Scenario(parser._decimals, parser._policy, parser._instruments, [], parser._steps);
        return true;
    }

    /// <summary>
    /// Parses command lines that continue <paramref name="context"/>: its units, instruments and account names (an
    /// <c>exchange</c> or <c>instrument</c> line is malformed here). Each step's line is its line in
    /// <paramref name="text"/>. Used for the shock lists of <c>exchange stress</c>.
    /// </summary>
    public static bool TryParseSteps(Scenario context, string text, [NotNullWhen(true)] out IReadOnlyList<ScenarioStep>? steps,
        [NotNullWhen(false)] out ScenarioError? error)
    {
        var parser = new ScenarioParser { _decimals = context.Decimals, _policy = context.Policy, _continuation = true };
        foreach (var instrument in context.Instruments)
        {
            parser._instrumentIds.Add(instrument.Name, parser._instruments.Count);
            parser._instruments.Add(instrument);
        }
        foreach (var name in context.Accounts)
        {
            parser._accountIds.TryAdd(name, parser._accounts.Count + 1);
            parser._accounts.Add(name);
        }
        steps = null;
        if (!parser.ParseText(text, out error)) return false;
        steps = parser._steps;
        return true;
    }

    private bool ParseText(string text, [NotNullWhen(false)] out ScenarioError? error)
    {
        error = null;
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            _line = i + 1;
            var line = lines[i];
            var comment = line.IndexOf('#');
            if (comment >= 0) line = line[..comment];
            var tokens = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length == 0) continue;
            if (_continuation && tokens[0] is ("exchange" or "instrument")) Fail($"'{tokens[0]}' belongs to the starting scenario");
            else if (ParseLine(tokens))
            {
                _sawCommand = true;
                continue;
            }
            error = new ScenarioError(_line, _reason);
            return false;
        }
        return true;
    }

    private bool ParseLine(string[] t) => t[0] switch
    {
        "exchange" => ExchangeLine(t),
        "instrument" => InstrumentLine(t),
        "deposit" => DepositLine(t),
        "mark" => MarkLine(t),
        "order" => OrderLine(t),
        "amend" => AmendLine(t),
        "cancel" => CancelLine(t),
        "cancel-all" => CancelAllLine(t),
        "funding" => FundingLine(t),
        "withdraw" => WithdrawLine(t),
        "resume" => ResumeLine(t),
        _ => Fail($"unknown command '{t[0]}'"),
    };

    private bool ExchangeLine(string[] t)
    {
        if (_sawCommand) return Fail("'exchange' must be the first command");
        if (!Options(t, 1, out var options, "decimals", "policy")) return false;
        if (options.TryGetValue("decimals", out var d))
        {
            if (!int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out _decimals) || _decimals > 18)
                return Fail($"decimals must be a whole number from 0 to 18, got '{d}'");
            try
            {
                // The core refuses decimals whose money unit leaves the held-collateral bound no useful range.
                new ExchangeOptions { CollateralDecimals = _decimals }.Validate();
            }
            catch (ArgumentException e)
            {
                return Fail(e.Message);
            }
        }
        if (options.TryGetValue("policy", out var p))
        {
            if (p == "adl") _policy = LossPolicy.Adl;
            else if (p == "socialize") _policy = LossPolicy.Socialize;
            else return Fail($"policy must be adl or socialize, got '{p}'");
        }
        return true;
    }

    private bool InstrumentLine(string[] t)
    {
        if (t.Length < 2) return Usage("instrument NAME tick= lot= imr= mmr= maker= taker= liq_fee= band= liq_band=");
        var name = t[1];
        if (!IsName(name, "instrument name")) return false;
        if (_instrumentIds.ContainsKey(name)) return Fail($"instrument '{name}' is already declared");
        if (_instruments.Count >= Defaults.MaxInstruments) return Fail($"at most {Defaults.MaxInstruments} instruments");
        if (!Options(t, 2, out var o, "tick", "lot", "imr", "mmr", "maker", "taker", "liq_fee", "band", "liq_band",
                "max_price", "max_order", "max_position", "breaker", "breaker_window")) return false;
        foreach (var key in (ReadOnlySpan<string>)["tick", "lot", "imr", "mmr", "maker", "taker", "liq_fee", "band", "liq_band"])
            if (!o.ContainsKey(key)) return Fail($"instrument needs {key}=");
        if (!Size(o["tick"], "tick", out var tick) || !Size(o["lot"], "lot", out var lot)) return false;
        var tickValueExact = new ExactDecimal(tick.Mantissa * lot.Mantissa, tick.Scale + lot.Scale);
        if (!tickValueExact.TryScaleToInteger(_decimals, out var tickValue) || tickValue <= 0 || tickValue > long.MaxValue)
            return Fail($"tick_value = tick x lot x 10^{_decimals} = {tickValueExact} x 10^{_decimals} must be a positive integer");
        if (!Rate(o["imr"], "imr", out var imr) || !Rate(o["mmr"], "mmr", out var mmr) ||
            !Rate(o["maker"], "maker", out var maker) || !Rate(o["taker"], "taker", out var taker) ||
            !Rate(o["liq_fee"], "liq_fee", out var liqFee) || !Rate(o["band"], "band", out var band) ||
            !Rate(o["liq_band"], "liq_band", out var liqBand)) return false;
        var spec = new InstrumentSpec
        {
            Name = name, TickValue = (long)tickValue, ImrPpm = imr, MmrPpm = mmr, MakerFeePpm = maker,
            TakerFeePpm = taker, LiquidationFeePpm = liqFee, BandPpm = band, LiquidationBandPpm = liqBand,
        };
        // Explicit bounds are capped at 2^60 units so that the core's own check (band top x lots x tick_value) cannot
        // overflow a long before it compares.
        long? maxPrice = null, maxOrder = null, maxPosition = null;
        long bound;
        if (o.TryGetValue("max_price", out var text))
        {
            if (!Units(text, "max_price", tick, $"the tick {tick}", InstrumentSpec.MaxNotional, out bound)) return false;
            maxPrice = bound;
        }
        if (o.TryGetValue("max_order", out text))
        {
            if (!Units(text, "max_order", lot, $"the lot {lot}", InstrumentSpec.MaxNotional, out bound)) return false;
            maxOrder = bound;
        }
        if (o.TryGetValue("max_position", out text))
        {
            if (!Units(text, "max_position", lot, $"the lot {lot}", InstrumentSpec.MaxNotional, out bound)) return false;
            maxPosition = bound;
        }
        spec = InstrumentBounds.Apply(spec, maxPrice, maxOrder, maxPosition);
        if (o.TryGetValue("breaker", out text))
        {
            if (!Rate(text, "breaker", out var breaker)) return false;
            spec = spec with { BreakerBandPpm = breaker };
        }
        if (o.TryGetValue("breaker_window", out text))
        {
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var window))
                return Fail($"breaker_window must be a whole number of marks, got '{text}'");
            spec = spec with { BreakerWindow = window };
        }
        try
        {
            spec.Validate();
        }
        catch (ArgumentException e)
        {
            // The core reports a configuration the rulebook forbids by throwing; here that is a malformed line.
            return Fail(e.Message);
        }
        _instrumentIds.Add(name, _instruments.Count);
        _instruments.Add(new ScenarioInstrument(spec, tick, lot));
        return true;
    }

    private bool DepositLine(string[] t)
    {
        if (t.Length != 3) return Usage("deposit NAME|insurance AMOUNT");
        if (!Money(t[2], out var amount)) return false;
        if (t[1] == Insurance)
        {
            Add("deposit", null, Command.InsuranceDeposit(amount));
            return true;
        }
        if (!IsAccountName(t[1])) return false;
        if (!_accountIds.TryGetValue(t[1], out var id))
        {
            _accounts.Add(t[1]);
            id = _accounts.Count;
            _accountIds.Add(t[1], id);
        }
        Add("deposit", t[1], Command.DepositTo(id, amount));
        return true;
    }

    private bool WithdrawLine(string[] t)
    {
        if (t.Length != 3) return Usage("withdraw NAME AMOUNT");
        if (!Account(t[1], out var id) || !Money(t[2], out var amount)) return false;
        Add("withdraw", t[1], Command.WithdrawFrom(id, amount));
        return true;
    }

    private bool MarkLine(string[] t)
    {
        if (t.Length != 3) return Usage("mark INSTR PRICE");
        if (!Instrument(t[1], out var i) || !Price(t[2], i, "price", out var price)) return false;
        Add("mark", null, Command.Mark(i, price));
        return true;
    }

    /// <summary>The admin's end of a circuit-breaker halt.</summary>
    private bool ResumeLine(string[] t)
    {
        if (t.Length != 2) return Usage("resume INSTR");
        if (!Instrument(t[1], out var i)) return false;
        Add("resume", null, Command.Resume(i));
        return true;
    }

    private bool FundingLine(string[] t)
    {
        if (t.Length != 3) return Usage("funding INSTR RATE");
        if (!Instrument(t[1], out var i)) return false;
        if (!ExactDecimal.TryParse(t[2], out var rate)) return Fail($"bad number '{t[2]}' for the funding rate");
        if (!rate.TryScaleToInteger(6, out var ppm)) return Fail($"funding rate {t[2]} is not a whole ppm (0.000001)");
        if (BigInteger.Abs(ppm) > Defaults.MaxFundingRatePpm)
            return Fail($"funding rate {t[2]} is past the bound +/-{Scenario.FormatRate(Defaults.MaxFundingRatePpm)}");
        Add("funding", null, Command.FundingAt(i, (long)ppm));
        return true;
    }

    private bool CancelLine(string[] t)
    {
        if (t.Length != 3) return Usage("cancel NAME ID");
        if (!Account(t[1], out var id) || !ClientId(t[2], out var clientId)) return false;
        Add("cancel", t[1], Command.CancelOrder(id, 0, clientId));
        return true;
    }

    private bool CancelAllLine(string[] t)
    {
        if (t.Length is not (2 or 3)) return Usage("cancel-all NAME [INSTR]");
        if (!Account(t[1], out var id)) return false;
        var instrument = Command.AllInstruments;
        if (t.Length == 3 && !Instrument(t[2], out instrument)) return false;
        Add("cancel-all", t[1], Command.CancelAllOrders(id, instrument));
        return true;
    }

    private bool OrderLine(string[] t)
    {
        const string usage = "order NAME buy|sell INSTR QTY limit PRICE|market [gtc|ioc|fok] [post-only] [reduce-only] [stp=...] [id=N]";
        if (t.Length < 6) return Usage(usage);
        if (!Account(t[1], out var id)) return false;
        Side side;
        if (t[2] == "buy") side = Side.Buy;
        else if (t[2] == "sell") side = Side.Sell;
        else return Fail($"side must be buy or sell, got '{t[2]}'");
        if (!Instrument(t[3], out var i) || !Qty(t[4], i, "quantity", out var lots)) return false;
        var type = OrderType.Limit;
        long price = 0;
        var next = 6;
        if (t[5] == "market") type = OrderType.Market;
        else if (t[5] != "limit") return Fail($"order type must be limit PRICE or market, got '{t[5]}'");
        else if (t.Length < 7) return Usage(usage);
        else if (!Price(t[6], i, "price", out price)) return false;
        else next = 7;

        TimeInForce? tif = null;
        var flags = OrderFlags.None;
        SelfTradePrevention? stp = null;
        long clientId = 0;
        for (; next < t.Length; next++)
        {
            var token = t[next];
            switch (token)
            {
                case "gtc" or "ioc" or "fok":
                    if (tif is not null) return Fail($"time in force given twice ('{token}')");
                    tif = token == "gtc" ? TimeInForce.Gtc : token == "ioc" ? TimeInForce.Ioc : TimeInForce.Fok;
                    break;
                case "post-only" or "reduce-only":
                    var flag = token == "post-only" ? OrderFlags.PostOnly : OrderFlags.ReduceOnly;
                    if ((flags & flag) != 0) return Fail($"'{token}' given twice");
                    flags |= flag;
                    break;
                default:
                    if (token.StartsWith("stp=", StringComparison.Ordinal))
                    {
                        if (stp is not null) return Fail("stp= given twice");
                        stp = token[4..] switch
                        {
                            "cancel-taker" => SelfTradePrevention.CancelTaker,
                            "cancel-maker" => SelfTradePrevention.CancelMaker,
                            "cancel-both" => SelfTradePrevention.CancelBoth,
                            _ => null,
                        };
                        if (stp is null) return Fail($"stp must be cancel-taker, cancel-maker or cancel-both, got '{token[4..]}'");
                    }
                    else if (token.StartsWith("id=", StringComparison.Ordinal))
                    {
                        if (clientId != 0) return Fail("id= given twice");
                        if (!ClientId(token[3..], out clientId)) return false;
                    }
                    else return Fail($"unknown order option '{token}'");
                    break;
            }
        }
        // A market order is IOC (or FOK) by definition; a market order asking to rest contradicts itself.
        if (type == OrderType.Market && tif == TimeInForce.Gtc) return Fail("a market order is ioc or fok, not gtc");
        var command = Command.NewOrder(id, i, side, type, price, lots,
            tif ?? (type == OrderType.Market ? TimeInForce.Ioc : TimeInForce.Gtc), flags,
            stp ?? SelfTradePrevention.CancelTaker, clientId);
        if (clientId != 0) _orderInstruments[(t[1], clientId)] = i;
        Add("order", t[1], command);
        return true;
    }

    private bool AmendLine(string[] t)
    {
        if (t.Length is < 4 or > 5) return Usage("amend NAME ID [qty=Q] [price=P]");
        if (!Account(t[1], out var id) || !ClientId(t[2], out var clientId)) return false;
        if (!Options(t, 3, out var o, "qty", "price")) return false;
        long lots = 0, price = 0;
        // Units come from the instrument of the latest order line with this id. Without one the engine can only
        // answer UNKNOWN_ACCOUNT or UNKNOWN_ORDER, so the values are checked as numbers and not sent.
        var known = _orderInstruments.TryGetValue((t[1], clientId), out var i);
        if (o.TryGetValue("qty", out var q) && !(known ? Qty(q, i, "qty", out lots) : Size(q, "qty", out _))) return false;
        if (o.TryGetValue("price", out var p) && !(known ? Price(p, i, "price", out price) : Size(p, "price", out _))) return false;
        Add("amend", t[1], Command.AmendOrder(id, 0, price, lots, clientId));
        return true;
    }

    // ---- Token readers: each returns false with the reason set. ----

    private bool Options(string[] t, int start, out Dictionary<string, string> options, params ReadOnlySpan<string> allowed)
    {
        options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var k = start; k < t.Length; k++)
        {
            var eq = t[k].IndexOf('=');
            if (eq <= 0 || eq == t[k].Length - 1) return Fail($"expected key=value, got '{t[k]}'");
            var key = t[k][..eq];
            if (!allowed.Contains(key)) return Fail($"unknown parameter '{key}' for '{t[0]}'");
            if (!options.TryAdd(key, t[k][(eq + 1)..])) return Fail($"{key}= given twice");
        }
        return true;
    }

    private bool Instrument(string name, out int id)
    {
        if (_instrumentIds.TryGetValue(name, out id)) return true;
        return Fail($"unknown instrument '{name}' (declare it with an instrument line first)");
    }

    /// <summary>An account that has no deposit yet is not an error: it gets an id no account has, and the engine
    /// rejects the command with UNKNOWN_ACCOUNT. In a file these ids are the parse's guess, which the run replaces
    /// (<see cref="ScenarioAccounts"/>: only an accepted deposit creates an account); they are final only for the
    /// names a continuation's context knows.</summary>
    private bool Account(string name, out int id)
    {
        id = 0;
        if (!IsAccountName(name)) return false;
        if (!_accountIds.TryGetValue(name, out id)) id = _accounts.Count + 1;
        return true;
    }

    private bool IsAccountName(string name)
    {
        if (name is Insurance or "fees" or "exchange") return Fail($"'{name}' names a ledger, not an account");
        return IsName(name, "account name");
    }

    private bool IsName(string name, string what) =>
        name.Contains('=') ? Fail($"{what} '{name}' may not contain '='") : true;

    private bool ClientId(string text, out long id)
    {
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id) && id > 0) return true;
        return Fail($"order id must be a whole number > 0, got '{text}'");
    }

    private bool Money(string text, out long units)
    {
        var unit = ExactDecimal.PowerOfTen(_decimals);
        return CommandValue(text, "amount", unit, $"the money unit {unit}", out units);
    }

    private bool Price(string text, int instrument, string what, out long ticks)
    {
        var ins = _instruments[instrument];
        return CommandValue(text, what, ins.Tick, $"the tick {ins.Tick}", out ticks);
    }

    private bool Qty(string text, int instrument, string what, out long lots)
    {
        var ins = _instruments[instrument];
        return CommandValue(text, what, ins.Lot, $"the lot {ins.Lot}", out lots);
    }

    /// <summary>
    /// A command's amount, price or quantity: a number that is a whole multiple of <paramref name="unit"/> and fits the
    /// command's 64-bit field. Its sign and bounds are the engine's to judge: a zero, negative or too large value is
    /// a line the engine rejects with its code, an event (RULEBOOK section 11), not a malformed line.
    /// </summary>
    private bool CommandValue(string text, string what, ExactDecimal unit, string unitName, out long units)
    {
        units = 0;
        if (!ExactDecimal.TryParse(text, out var value)) return Fail($"bad number '{text}' for {what}");
        if (!value.TryCount(unit, out var count)) return Fail($"{what} {text} is not a multiple of {unitName}");
        if (count < long.MinValue || count > long.MaxValue) return Fail($"{what} {text} does not fit a command (64-bit units)");
        units = (long)count;
        return true;
    }

    /// <summary>A positive number that is a whole multiple of <paramref name="unit"/>, at most <paramref name="max"/> units.</summary>
    private bool Units(string text, string what, ExactDecimal unit, string unitName, long max, out long units)
    {
        units = 0;
        if (!ExactDecimal.TryParse(text, out var value)) return Fail($"bad number '{text}' for {what}");
        if (value.Sign <= 0) return Fail($"{what} must be positive, got {text}");
        if (!value.TryCount(unit, out var count)) return Fail($"{what} {text} is not a multiple of {unitName}");
        if (count > max) return Fail($"{what} {text} is past the bound {unit.Format(max)}");
        units = (long)count;
        return true;
    }

    private bool Size(string text, string what, out ExactDecimal value)
    {
        if (!ExactDecimal.TryParse(text, out value)) return Fail($"bad number '{text}' for {what}");
        return value.Sign > 0 || Fail($"{what} must be positive, got {text}");
    }

    /// <summary>A rate written as a decimal fraction (0.0005), converted to whole ppm.</summary>
    private bool Rate(string text, string what, out long ppm)
    {
        ppm = 0;
        if (!ExactDecimal.TryParse(text, out var value)) return Fail($"bad number '{text}' for {what}");
        if (!value.TryScaleToInteger(6, out var p)) return Fail($"{what} {text} is not a whole ppm (0.000001)");
        if (BigInteger.Abs(p) > FixedPoint.Million) return Fail($"{what} {text} is past the bound 1");
        ppm = (long)p;
        return true;
    }

    private void Add(string verb, string? account, Command command)
    {
        command.Sequence = _line;
        _steps.Add(new ScenarioStep(_line, verb, account, command));
    }

    private bool Fail(string reason)
    {
        _reason = reason;
        return false;
    }

    private bool Usage(string usage) => Fail($"wrong number of arguments; expected: {usage}");
}
