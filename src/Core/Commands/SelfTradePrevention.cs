namespace Exchange.Core.Commands;

/// <summary>What happens when an order would trade with a resting order of the same account.</summary>
public enum SelfTradePrevention : byte
{
    /// <summary>Cancel the incoming order's remainder; the resting order stays.</summary>
    CancelTaker = 0,
    /// <summary>Cancel the resting order and keep matching.</summary>
    CancelMaker = 1,
    /// <summary>Cancel both.</summary>
    CancelBoth = 2,
}
