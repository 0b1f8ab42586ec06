namespace Exchange.Gateway.Tests.MarketData;

/// <summary>One generated step of order flow: what kind, whose, and the knobs (interpreted by <see cref="MarketDataTests"/>).</summary>
public sealed record OrderFlowOp(OrderFlowKind Kind, int Account, int Instrument, byte Side, long Offset, long Quantity, int Pick, byte Stp)
{
    public override string ToString() => $"{Kind} a{Account} i{Instrument} s{Side} off{Offset} q{Quantity} pick{Pick} stp{Stp}";
}

public enum OrderFlowKind : byte
{
    Limit,
    PostOnly,
    Ioc,
    Market,
    Cancel,
    Shrink,
    Move,
    CancelAll,
    Mark,
}
