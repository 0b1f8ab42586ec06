namespace Exchange.Gateway.Stress;

/// <summary>An account and the number of shocks in which it was deleveraged (an ADL counterparty) or haircut.</summary>
internal readonly record struct AccountHits(int AccountId, int AdlShocks, int HaircutShocks);

/// <summary>The fund that covers a fraction (ppm) of the shocks without ADL, haircuts or exchange loss; null: none does.</summary>
internal readonly record struct FundCover(long FractionPpm, long? Fund);

/// <summary>
/// The statistics of a stress run: each loss's distribution, the insurance fund's adequacy, the accounts hit most
/// often, and the invariant failures (there should be none).
/// </summary>
internal sealed class StressSummary
{
    /// <summary>The losses reported, in output order, with how each is read from a shock's outcome.</summary>
    public static readonly (string Name, Func<ShockOutcome, long> Value)[] Losses =
    [
        ("socialized", o => o.Socialized),
        ("insurance_draw", o => o.InsuranceDraw),
        ("exchange_loss", o => o.ExchangeLoss),
        ("haircuts", o => o.Haircuts),
        ("adl_shortfall", o => o.AdlShortfall),
        ("adl_notional", o => o.AdlNotional),
        ("book_notional", o => o.BookNotional),
        ("liquidation_fees", o => o.LiquidationFees),
    ];

    public StressSummary(StressRun run, IReadOnlyList<long> levelsPpm, IReadOnlyList<long> coverPpm, int top)
    {
        Run = run;
        var outcomes = run.Outcomes;
        foreach (var (name, value) in Losses)
        {
            var values = new long[outcomes.Length];
            for (var i = 0; i < values.Length; i++) values[i] = value(outcomes[i]);
            Statistics[name] = LossStatistics.Of(values, levelsPpm);
        }
        var needs = new List<long>(outcomes.Length);
        foreach (var o in outcomes)
        {
            if (o.Liquidations > 0) WithLiquidations++;
            if (o.AdlClosures > 0) WithAdl++;
            if (o.Haircuts > 0) WithHaircuts++;
            if (o.Covered) CoveredByCurrent++;
            LiquidatedTotal += o.Liquidated;
            LiquidatedMax = Math.Max(LiquidatedMax, o.Liquidated);
            if (o.FundNeeded is { } need) needs.Add(need);
            if (o.Violation is not null) Violations.Add(o);
        }
        needs.Sort();
        Needs = needs;
        Uncoverable = outcomes.Length - needs.Count;
        foreach (var f in coverPpm)
        {
            // The k-th smallest need (k = ceil(f N)) covers k shocks; past the coverable ones, no fund does.
            var k = (int)(((Int128)f * outcomes.Length + LossStatistics.Million - 1) / LossStatistics.Million);
            Cover.Add(new FundCover(f, k == 0 ? 0 : k <= needs.Count ? needs[k - 1] : null));
        }
        var hits = new List<AccountHits>();
        for (var a = 1; a < run.AdlHits.Length; a++)
            if (run.AdlHits[a] + run.HaircutHits[a] > 0) hits.Add(new AccountHits(a, run.AdlHits[a], run.HaircutHits[a]));
        hits.Sort((x, y) =>
        {
            var c = (y.AdlShocks + y.HaircutShocks).CompareTo(x.AdlShocks + x.HaircutShocks);
            return c != 0 ? c : x.AccountId.CompareTo(y.AccountId);
        });
        MostHit = hits.Count > top ? hits.GetRange(0, top) : hits;
        AccountsHit = hits.Count;
    }

    public StressRun Run { get; }
    public Dictionary<string, LossStatistics> Statistics { get; } = new(StringComparer.Ordinal);
    public int WithLiquidations { get; }
    public int WithAdl { get; }
    public int WithHaircuts { get; }
    public long LiquidatedTotal { get; }
    public int LiquidatedMax { get; }
    /// <summary>Shocks the fund they started with covered (no ADL, haircut or exchange loss).</summary>
    public int CoveredByCurrent { get; }
    /// <summary>The fund each coverable shock needed, ascending.</summary>
    public IReadOnlyList<long> Needs { get; }
    /// <summary>Shocks no fund would have covered (the book could not take the closes).</summary>
    public int Uncoverable { get; }
    public List<FundCover> Cover { get; } = [];
    public IReadOnlyList<AccountHits> MostHit { get; }
    /// <summary>Accounts deleveraged or haircut in at least one shock.</summary>
    public int AccountsHit { get; }
    public List<ShockOutcome> Violations { get; } = [];
}
