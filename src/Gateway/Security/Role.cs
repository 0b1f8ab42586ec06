namespace Exchange.Gateway.Security;

/// <summary>What a user may do (docs/protocol.md section 6).</summary>
public enum Role : byte
{
    /// <summary>Orders, cancels and queries on its own account.</summary>
    Trader = 0,
    /// <summary>Mark prices and funding.</summary>
    PriceFeed = 1,
    /// <summary>Deposits, withdrawals, insurance deposits and queries of any account.</summary>
    Admin = 2,
    /// <summary>Reads only: market data, and the drop copy of its group; sends nothing but the account-0 query.</summary>
    Viewer = 3,
}
