using System.Numerics;

namespace Exchange.Testing;

/// <summary>
/// What the reference model measured during one liquidation, for the event-stream checker: the ranked ADL queue of
/// each position it deleveraged, the socialization weights, and the amount left after insurance in step 4.
/// </summary>
public sealed class LiquidationTrace
{
    public LiquidationTrace(int accountId) => AccountId = accountId;

    public int AccountId { get; }
    /// <summary>Per deleveraged instrument: the queue's account ids, best ADL candidate first.</summary>
    public Dictionary<int, List<int>> AdlQueues { get; } = new();
    /// <summary>Socialization weights (positive upnl in the bankrupt's instruments), when they were measured.</summary>
    public SortedDictionary<int, BigInteger> Weights { get; } = new();
    /// <summary>The deficit step 4 charged to haircuts and the exchange (after insurance); 0 when none.</summary>
    public BigInteger Socialized { get; set; }
    /// <summary>ADL closures against a counterparty with E &lt;= 0 and lev = notional x 1e6 past 2^62: the ranking
    /// the old clamp of each factor at 2^62 turned into a tie broken by account id (issue 19).</summary>
    public int InsolventClosuresPast2To62 { get; set; }
}
