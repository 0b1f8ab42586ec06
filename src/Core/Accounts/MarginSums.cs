namespace Exchange.Core.Accounts;

/// <summary>
/// An account's cross-margin sums at the current marks (RULEBOOK section 5), kept so that the pre-trade check and the
/// account report cost O(1) instead of a pass over every instrument the account is active in (the pass, and its cache
/// misses, made eight books 2.5x slower per command than one). Current only while <see cref="Epoch"/> equals
/// <see cref="Instruments.InstrumentTable.MarkEpoch"/>: every change to a position or its resting lots updates them
/// exactly (<see cref="AccountStore"/>); a mark change makes them stale, and <see cref="Risk.MarginCalculator"/> rebuilds
/// them when next needed. Derived state: not in snapshots or the state hash.
/// </summary>
internal struct MarginSums
{
    /// <summary>The mark epoch the sums were built at; 0 = never built.</summary>
    public long Epoch;
    /// <summary>
    /// Sum of upnl over held positions (each <see cref="Position.UpnlPart"/>), modulo 2^64. Every reader takes E as the
    /// long cast of balance + the Int128 sum, or MM as the long cast of its sum: the low 64 bits, which wrapping 64-bit
    /// sums equal exactly (addition commutes with the reduction modulo 2^64), without the 128-bit updates of every fill.
    /// </summary>
    public long Upnl;
    /// <summary>Sum of MM over held positions, modulo 2^64 (see <see cref="Upnl"/>).</summary>
    public long Mm;
    /// <summary>Sum of IM with resting orders at their worst case over active positions (read whole: the free margin's
    /// sign).</summary>
    public Int128 Im;
    /// <summary>Order loss of every resting order against its mark (never negative).</summary>
    public Int128 OrderLoss;
}
