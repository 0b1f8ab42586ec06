namespace Exchange.Core.Events;

/// <summary>
/// Typed views: the names of values that an event type stores in a shared field. Read them by these names (never by
/// the storage field), so no consumer depends on which field a type borrowed.
/// </summary>
public partial struct Event
{
    // Trade.

    /// <summary>Trade: the taker's fee.</summary>
    public readonly long TakerFee => Amount;

    /// <summary>Trade: the maker's fee (negative = rebate).</summary>
    public readonly long MakerFee => Amount2;

    // OrderAmended.

    /// <summary>OrderAmended with <see cref="EventFlags.PriorityKept"/>: the lots the order gave up in place.</summary>
    public readonly long LotsReduced => Amount;

    // LiquidationStarted.

    /// <summary>LiquidationStarted: the account's equity E when its liquidation started.</summary>
    public readonly long EquityAtStart => Amount;

    /// <summary>LiquidationStarted: the account's maintenance margin MM when its liquidation started.</summary>
    public readonly long MaintenanceAtStart => Amount2;

    // FundingDust.

    /// <summary>FundingDust: the funding command's rate (ppm), once per funding command.</summary>
    public readonly long FundingRate => Amount2;

    // CancelAllDone.

    /// <summary>CancelAllDone: how many orders the cancel-all cancelled.</summary>
    public readonly long CancelledOrders => Amount;

    // AccountState.

    /// <summary>AccountState: the balance.</summary>
    public readonly long Balance => Amount;

    /// <summary>AccountState: equity E.</summary>
    public readonly long Equity => Amount2;

    /// <summary>AccountState: initial margin IM (open orders at their worst case).</summary>
    public readonly long InitialMargin => Quote;

    /// <summary>AccountState: maintenance margin MM.</summary>
    public readonly long MaintenanceMargin => Price;

    /// <summary>AccountState: E - order loss - IM, what the account could still commit.</summary>
    public readonly long FreeMargin => Quantity;

    /// <summary>AccountState: the account's open orders.</summary>
    public readonly int OpenOrders => CounterpartyId;

    // PositionState.

    /// <summary>PositionState: signed lots (long &gt; 0).</summary>
    public readonly long PositionQty => Quantity;

    /// <summary>PositionState: the signed cost basis.</summary>
    public readonly long CostBasis => Quote;

    /// <summary>PositionState: unrealized PnL at the mark.</summary>
    public readonly long Upnl => Amount;

    /// <summary>PositionState: lots of the account's resting buy orders in the instrument.</summary>
    public readonly long OpenBuyLots => Price;

    /// <summary>PositionState: lots of the account's resting sell orders in the instrument.</summary>
    public readonly long OpenSellLots => Amount2;

    /// <summary>PositionState in a query answer: the ADL indicator, 5 (first fifth of the queue) to 1, 0 when flat.</summary>
    public readonly int AdlQuintile => CounterpartyId;

    // Duplicate.

    /// <summary>Duplicate: the token space of the command.</summary>
    public readonly uint Origin => (uint)Amount;

    /// <summary>Duplicate: the command's token.</summary>
    public readonly uint Token => (uint)ClientOrderId;

    /// <summary>Duplicate: the sequence of the command that applied the token first.</summary>
    public readonly long OriginalSequence => Amount2;

    /// <summary>Duplicate: what the token did first: its reject code, or None when it was executed.</summary>
    public readonly RejectCode OriginalOutcome => Reason;

    // Account queries.

    /// <summary>AccountState or Rejected answering an account query that named a token space: the token that space is
    /// expected to send next (0 when the query named none).</summary>
    public readonly uint NextToken => (uint)TradeId;

    // GatewayRejected.

    /// <summary>GatewayRejected: the refused message's type letter.</summary>
    public readonly byte RejectedMessageType => (byte)Quantity;

    // Writers: the core fills the storage through these, so reading and writing name the same field.

    internal void SetRejectedMessageType(byte messageType) => Quantity = messageType;

    internal void SetFundingRate(long ratePpm) => Amount2 = ratePpm;

    internal void SetCancelledOrders(long count) => Amount = count;

    internal void SetDuplicate(uint origin, uint token, long originalSequence, long orderId, RejectCode outcome)
    {
        Amount = origin;
        ClientOrderId = token;
        Amount2 = originalSequence;
        OrderId = orderId;
        Reason = outcome;
    }

    internal void SetNextToken(uint next) => TradeId = next;

    internal void SetAccountState(long balance, long equity, long initialMargin, long maintenanceMargin, long freeMargin, int openOrders)
    {
        Amount = balance;
        Amount2 = equity;
        Quote = initialMargin;
        Price = maintenanceMargin;
        Quantity = freeMargin;
        CounterpartyId = openOrders;
    }

    internal void SetPositionState(long qty, long cost, long upnl, long buyLots, long sellLots, int adlQuintile)
    {
        Quantity = qty;
        Quote = cost;
        Amount = upnl;
        Price = buyLots;
        Amount2 = sellLots;
        CounterpartyId = adlQuintile;
    }
}
