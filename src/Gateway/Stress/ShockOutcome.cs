namespace Exchange.Gateway.Stress;

/// <summary>
/// What one shock did, all money in collateral units. <see cref="Socialized"/> is what winners gave up: haircuts plus
/// the ADL shortfall (what ADL counterparties received less than a close at the mark would have paid them).
/// <see cref="FundNeeded"/> is the smallest insurance fund with which the same shock runs without ADL, haircut or
/// exchange loss; null when no fund would do (the book alone cannot absorb the closes).
/// </summary>
internal sealed record ShockOutcome
{
    public int Index { get; init; }
    /// <summary>Accounts liquidated at least once.</summary>
    public int Liquidated { get; init; }
    /// <summary>Liquidation events (an account may be liquidated more than once along a path).</summary>
    public int Liquidations { get; init; }
    /// <summary>Quote value of the liquidation fills in the book.</summary>
    public long BookNotional { get; init; }
    public long LiquidationFees { get; init; }
    /// <summary>Insurance paid to liquidated accounts (gross).</summary>
    public long InsuranceDraw { get; init; }
    public int AdlClosures { get; init; }
    public long AdlNotional { get; init; }
    public int AdlAccounts { get; init; }
    public long AdlShortfall { get; init; }
    public long Haircuts { get; init; }
    public int HaircutAccounts { get; init; }
    public long Socialized => AdlShortfall + Haircuts;
    public long ExchangeLoss { get; init; }
    public long InsuranceBefore { get; init; }
    public long InsuranceAfter { get; init; }
    public long? FundNeeded { get; init; }
    /// <summary>Circuit-breaker halts during the shock.</summary>
    public int Halts { get; init; }
    /// <summary>Orders the shock's commands placed that a halt refused (INSTRUMENT_HALTED).</summary>
    public int HaltRefusals { get; init; }
    /// <summary>Null when every invariant held; otherwise the first that failed.</summary>
    public string? Violation { get; init; }

    /// <summary>The shock needed neither ADL nor haircuts nor the exchange.</summary>
    public bool Covered => AdlClosures == 0 && Haircuts == 0 && ExchangeLoss == 0;
}
