namespace Exchange.Gateway.Protocol;

/// <summary>One decoded inbound application message; which fields matter depends on <see cref="Type"/>.</summary>
internal struct InboundMessage
{
    public byte Type;
    public uint Token;
    public uint Account;
    public int Instrument;
    public byte Side;
    public byte OrderType;
    public byte TimeInForce;
    public byte Flags;
    public byte Stp;
    public long Price;
    public long Quantity;
    public long OrderId;
    public uint OrderToken;
    /// <summary>Money for deposits and withdrawals; ppm for funding.</summary>
    public long Amount;
}
