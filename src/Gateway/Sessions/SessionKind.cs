namespace Exchange.Gateway.Sessions;

/// <summary>What a connection reads: its user's stream (order entry), the order log, a drop-copy group, or one snapshot.</summary>
internal enum SessionKind : byte
{
    OrderEntry = 0,
    MarketData = 1,
    DropCopy = 2,
    /// <summary>The snapshot port: a stream of its own holding one snapshot of the books, then End of Session.</summary>
    Snapshot = 3,
}
