namespace Exchange.Core.Commands;

/// <summary>Order side. The numeric values are stable (journal, protocol).</summary>
public enum Side : byte
{
    Buy = 0,
    Sell = 1,
}
