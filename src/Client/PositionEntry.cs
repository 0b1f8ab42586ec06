namespace Exchange.Client;

/// <summary>One instrument of an Account State answer (docs/protocol.md section 4, <c>Q</c>).</summary>
public readonly record struct PositionEntry(int Instrument, long Position, long Cost, long Upnl, long OpenBuyLots,
    long OpenSellLots, byte AdlQuintile);
