namespace Exchange.Core.Commands;

/// <summary>Order flags.</summary>
[Flags]
public enum OrderFlags : byte
{
    None = 0,
    /// <summary>Rejected (never slid) if it would trade on entry; GTC limit orders only.</summary>
    PostOnly = 1,
    /// <summary>Clipped to the reducible position; IOC, FOK or market only; never opens or flips.</summary>
    ReduceOnly = 2,
}
