namespace Exchange.Core.Events;

/// <summary>Why an order left the book without trading in full. Values are stable (protocol).</summary>
public enum CancelReason : byte
{
    None = 0,
    /// <summary>Cancelled by its owner (cancel or cancel-all).</summary>
    User = 1,
    /// <summary>The unfilled rest of an IOC or market order.</summary>
    IocRemainder = 2,
    /// <summary>Self-trade prevention.</summary>
    SelfTrade = 3,
    /// <summary>Step 1 of the liquidation waterfall cancelled the liquidated account's orders.</summary>
    Liquidation = 4,
    /// <summary>An ADL counterparty's orders in the instrument were cancelled before its closure.</summary>
    Adl = 5,
}
