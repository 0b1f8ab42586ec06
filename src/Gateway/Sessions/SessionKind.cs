namespace Exchange.Gateway.Sessions;

/// <summary>What a connection reads: its user's stream (order entry), the order log, or a drop-copy group.</summary>
internal enum SessionKind : byte
{
    OrderEntry = 0,
    MarketData = 1,
    DropCopy = 2,
}
