namespace Exchange.Core.Commands;

/// <summary>Limit orders carry a price; market orders are IOC (or FOK) limited by the price band.</summary>
public enum OrderType : byte
{
    Limit = 0,
    Market = 1,
}
