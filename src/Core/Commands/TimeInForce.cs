namespace Exchange.Core.Commands;

/// <summary>How long an order may live: rest (GTC), trade what it can now (IOC), or all now or nothing (FOK).</summary>
public enum TimeInForce : byte
{
    Gtc = 0,
    Ioc = 1,
    Fok = 2,
}
