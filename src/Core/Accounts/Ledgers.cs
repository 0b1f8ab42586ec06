namespace Exchange.Core.Accounts;

/// <summary>The system ledgers of RULEBOOK section 2 and the external flows the conservation law balances against.</summary>
internal sealed class Ledgers
{
    /// <summary>The insurance fund; never negative.</summary>
    public long Insurance;
    /// <summary>Fee revenue; pays maker rebates.</summary>
    public long Fees;
    /// <summary>Loss the exchange absorbed; zero or negative.</summary>
    public long Exchange;
    /// <summary>All deposits ever made (accounts and insurance). Lifetime sums are Int128: each flow is below 2^60, so
    /// they cannot overflow in any plausible life of the exchange, and what is held is their difference.</summary>
    public Int128 Deposits;
    public Int128 Withdrawals;

    /// <summary>Collateral the exchange holds: deposits net of withdrawals (the right side of the conservation law).</summary>
    public Int128 Held => Deposits - Withdrawals;
}
