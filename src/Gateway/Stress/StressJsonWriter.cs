using System.Numerics;
using System.Text.Encodings.Web;
using System.Text.Json;
using Exchange.Core;
using Exchange.Gateway.Scenarios;

namespace Exchange.Gateway.Stress;

/// <summary>
/// The result of <c>exchange stress</c> as one indented JSON document (docs/stress.md). Money is an exact decimal
/// string with the collateral's decimals; a mean or an expected shortfall, a fraction of a unit, is rounded to the
/// nearest unit; fractions of shocks are decimals with six places. Nothing in it depends on timing or core count.
/// </summary>
internal static class StressJsonWriter
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Write(Stream stream, StressState state, StressOptions options, ShockSource source, StressSummary s,
        BreakerComparison? compare = null)
    {
        using var w = new Utf8JsonWriter(stream, Options);
        var units = state.Units;
        w.WriteStartObject();

        w.WriteStartObject("input");
        w.WriteString("source", state.Source);
        w.WriteString("path", options.Input);
        w.WriteNumber("sequence", state.Sequence);
        w.WriteNumber("accounts", state.AccountCount);
        w.WriteString("policy", units.Policy == LossPolicy.Socialize ? "socialize" : "adl");
        w.WriteStartArray("instruments");
        for (var i = 0; i < units.Instruments.Count; i++)
        {
            w.WriteStartObject();
            w.WriteString("name", units.Instruments[i].Name);
            if (state.Marks[i] > 0) w.WriteString("mark", units.FormatPrice(i, state.Marks[i]));
            else w.WriteNull("mark");
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteString("insurance", units.FormatMoney(state.Insurance));
        w.WriteEndObject();

        source.WriteJson(w);
        WriteBreakers(w, state, options, s, compare);
        WriteRun(w, state, s);

        w.WriteNumber("accounts_hit", s.AccountsHit);
        w.WriteStartArray("most_hit");
        foreach (var h in s.MostHit)
        {
            w.WriteStartObject();
            w.WriteString("account", state.AccountName(h.AccountId));
            w.WriteNumber("id", h.AccountId);
            w.WriteNumber("adl_shocks", h.AdlShocks);
            w.WriteNumber("haircut_shocks", h.HaircutShocks);
            w.WriteEndObject();
        }
        w.WriteEndArray();

        if (options.PerShock)
        {
            w.WriteStartArray("shocks");
            var outcomes = s.Run.Outcomes;
            for (var k = 0; k < outcomes.Length; k++) WriteShock(w, units, outcomes[k], compare?.Without.Run.Outcomes[k]);
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    /// <summary>The breakers the shocks ran with; with <c>--breakers compare</c>, the run without and the difference.</summary>
    private static void WriteBreakers(Utf8JsonWriter w, StressState state, StressOptions options, StressSummary s, BreakerComparison? compare)
    {
        var units = state.Units;
        w.WriteStartObject("breakers");
        w.WriteString("mode", options.Breakers switch
        {
            BreakerMode.Off => "off", BreakerMode.On => "on", BreakerMode.Compare => "compare", _ => "configured",
        });
        w.WriteStartArray("instruments");
        foreach (var i in units.Instruments)
        {
            w.WriteStartObject();
            w.WriteString("name", i.Name);
            if (i.Spec.BreakerBandPpm > 0)
            {
                w.WriteString("band", Scenario.FormatRate(i.Spec.BreakerBandPpm));
                w.WriteNumber("window", i.Spec.BreakerWindow);
            }
            else
            {
                w.WriteNull("band");
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        long halts = 0, refusals = 0;
        var halted = 0;
        foreach (var o in s.Run.Outcomes)
        {
            if (o.Halts > 0) halted++;
            halts += o.Halts;
            refusals += o.HaltRefusals;
        }
        w.WriteNumber("halted_shocks", halted);
        w.WriteNumber("halts", halts);
        w.WriteNumber("refused_orders", refusals);
        if (compare is not null)
        {
            w.WriteStartObject("without");
            WriteRun(w, state, compare.Without);
            w.WriteEndObject();
            w.WriteStartObject("difference");
            foreach (var name in BreakerComparison.Compared)
            {
                var d = compare.Differences[name];
                w.WriteStartObject(name);
                w.WriteString("mean", units.FormatMoney(d.Mean.Rounded()));
                w.WriteString("min", units.FormatMoney(d.Min));
                w.WriteString("max", units.FormatMoney(d.Max));
                w.WriteNumber("shocks_lower", d.Lower);
                w.WriteNumber("shocks_higher", d.Higher);
                w.WriteStartArray("tail");
                foreach (var (level, var, es) in d.Tails)
                {
                    w.WriteStartObject();
                    w.WriteString("level", Scenario.FormatRate(level));
                    w.WriteString("var", units.FormatMoney(var));
                    w.WriteString("es", units.FormatMoney(es.Rounded()));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    /// <summary>One run's invariants, counts, loss statistics and fund adequacy, as properties of the current object.</summary>
    private static void WriteRun(Utf8JsonWriter w, StressState state, StressSummary s)
    {
        var units = state.Units;
        var n = s.Run.Outcomes.Length;
        w.WriteStartObject("invariants");
        w.WriteNumber("shocks", n);
        w.WriteNumber("failed", s.Violations.Count);
        w.WriteStartArray("failures");
        for (var i = 0; i < Math.Min(10, s.Violations.Count); i++)
        {
            w.WriteStartObject();
            w.WriteNumber("shock", s.Violations[i].Index);
            w.WriteString("violation", s.Violations[i].Violation);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();

        w.WriteStartObject("counts");
        w.WriteNumber("shocks", n);
        w.WriteNumber("with_liquidations", s.WithLiquidations);
        w.WriteNumber("with_adl", s.WithAdl);
        w.WriteNumber("with_haircuts", s.WithHaircuts);
        w.WriteString("liquidated_accounts_mean", Fraction(s.LiquidatedTotal, n, 3));
        w.WriteNumber("liquidated_accounts_max", s.LiquidatedMax);
        w.WriteEndObject();

        w.WriteStartObject("losses");
        foreach (var (name, _) in StressSummary.Losses)
        {
            var st = s.Statistics[name];
            w.WriteStartObject(name);
            w.WriteString("mean", units.FormatMoney(st.Mean.Rounded()));
            w.WriteString("max", units.FormatMoney(st.Max));
            w.WriteNumber("shocks_nonzero", st.NonZero);
            w.WriteStartArray("tail");
            foreach (var t in st.Tails)
            {
                w.WriteStartObject();
                w.WriteString("level", Scenario.FormatRate(t.LevelPpm));
                w.WriteString("var", units.FormatMoney(t.ValueAtRisk));
                w.WriteString("es", units.FormatMoney(t.ExpectedShortfall.Rounded()));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndObject();

        w.WriteStartObject("fund");
        w.WriteString("current", units.FormatMoney(state.Insurance));
        w.WriteString("covered_by_current", Fraction(s.CoveredByCurrent, n, 6));
        w.WriteNumber("uncoverable_shocks", s.Uncoverable);
        w.WriteStartArray("cover");
        foreach (var c in s.Cover)
        {
            w.WriteStartObject();
            w.WriteString("fraction", Scenario.FormatRate(c.FractionPpm));
            if (c.Fund is { } fund) w.WriteString("fund", units.FormatMoney(fund));
            else w.WriteNull("fund");
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteShock(Utf8JsonWriter w, Scenario units, ShockOutcome o, ShockOutcome? without)
    {
        w.WriteStartObject();
        w.WriteNumber("shock", o.Index);
        w.WriteNumber("liquidated", o.Liquidated);
        w.WriteNumber("liquidations", o.Liquidations);
        w.WriteString("book_notional", units.FormatMoney(o.BookNotional));
        w.WriteString("liquidation_fees", units.FormatMoney(o.LiquidationFees));
        w.WriteString("insurance_draw", units.FormatMoney(o.InsuranceDraw));
        w.WriteNumber("adl_closures", o.AdlClosures);
        w.WriteString("adl_notional", units.FormatMoney(o.AdlNotional));
        w.WriteNumber("adl_accounts", o.AdlAccounts);
        w.WriteString("adl_shortfall", units.FormatMoney(o.AdlShortfall));
        w.WriteString("haircuts", units.FormatMoney(o.Haircuts));
        w.WriteNumber("haircut_accounts", o.HaircutAccounts);
        w.WriteString("socialized", units.FormatMoney(o.Socialized));
        w.WriteString("exchange_loss", units.FormatMoney(o.ExchangeLoss));
        w.WriteString("insurance_after", units.FormatMoney(o.InsuranceAfter));
        if (o.FundNeeded is { } need) w.WriteString("fund_needed", units.FormatMoney(need));
        else w.WriteNull("fund_needed");
        w.WriteNumber("halts", o.Halts);
        w.WriteNumber("halt_refusals", o.HaltRefusals);
        if (o.Violation is null) w.WriteNull("violation");
        else w.WriteString("violation", o.Violation);
        if (without is not null)
        {
            // The same shock without breakers.
            w.WriteStartObject("without");
            w.WriteNumber("liquidated", without.Liquidated);
            w.WriteString("insurance_draw", units.FormatMoney(without.InsuranceDraw));
            w.WriteNumber("adl_closures", without.AdlClosures);
            w.WriteString("haircuts", units.FormatMoney(without.Haircuts));
            w.WriteString("socialized", units.FormatMoney(without.Socialized));
            w.WriteString("exchange_loss", units.FormatMoney(without.ExchangeLoss));
            if (without.Violation is null) w.WriteNull("violation");
            else w.WriteString("violation", without.Violation);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    /// <summary><paramref name="count"/> / <paramref name="n"/> with <paramref name="places"/> decimals, rounded.</summary>
    internal static string Fraction(long count, int n, int places)
    {
        var scaled = new Ratio((BigInteger)count * BigInteger.Pow(10, places), Math.Max(n, 1)).Rounded();
        return ExactDecimal.Write(scaled, places);
    }
}
