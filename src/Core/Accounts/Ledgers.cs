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
    /// <summary>All deposits ever made (accounts and insurance).</summary>
    public long Deposits;
    public long Withdrawals;
}
