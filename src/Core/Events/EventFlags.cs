namespace Exchange.Core.Events;

/// <summary>Qualifiers of an event.</summary>
[Flags]
public enum EventFlags : byte
{
    None = 0,
    /// <summary>A trade whose taker is a liquidation order.</summary>
    Liquidation = 1,
    /// <summary>An amend that kept the order's time priority.</summary>
    PriorityKept = 2,
    /// <summary>A liquidation that ended after step 1 (cancelling orders restored E >= MM).</summary>
    Cured = 4,
}
