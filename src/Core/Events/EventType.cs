namespace Exchange.Core.Events;

/// <summary>
/// What an <see cref="Event"/> reports. Field use per type is listed on each member; unused fields are zero.
/// Every event carries the <see cref="Event.Sequence"/> of the command that caused it.
/// <para>
/// Order of events within one command (normative: the reference model in tests emits the same stream):
/// a rejected command emits one <see cref="Rejected"/> and nothing else. A new order emits
/// <see cref="OrderAccepted"/>, then per maker in price-time order either a <see cref="OrderCancelled"/>
/// (self-trade prevention) or a <see cref="Trade"/>, then the taker's own <see cref="OrderCancelled"/> if its
/// remainder is cancelled (self-trade or IOC remainder). A replacing amend emits <see cref="OrderAmended"/> and then
/// matches like a new order. Funding emits <see cref="Funding"/> per position in account-id order, then
/// <see cref="FundingDust"/>. Every command that can lower an account's E - MM ends with the liquidation loop,
/// each liquidation framed by <see cref="LiquidationStarted"/> and <see cref="LiquidationEnded"/>.
/// </para>
/// </summary>
public enum EventType : byte
{
    None = 0,
    /// <summary>Command rejected: CommandType, AccountId, InstrumentId, OrderId, ClientOrderId, Reason.</summary>
    Rejected = 1,
    /// <summary>Deposit: AccountId (0 for the insurance fund), Amount.</summary>
    Deposited = 2,
    /// <summary>Withdrawal: AccountId, Amount.</summary>
    Withdrawn = 3,
    /// <summary>Mark price set: InstrumentId, Price.</summary>
    MarkPrice = 4,
    /// <summary>Order accepted: AccountId, InstrumentId, OrderId, ClientOrderId, Side, Price (limit; the band limit
    /// for a market order), Quantity (after a reduce-only clip).</summary>
    OrderAccepted = 5,
    /// <summary>Fill: AccountId (taker), CounterpartyId (maker), InstrumentId, OrderId (taker's; 0 for a
    /// liquidation order), MakerOrderId, ClientOrderId (taker's), Side (taker's), Price (maker's), Quantity, Quote
    /// (qty x price x tick_value), Amount (taker fee), Amount2 (maker fee; negative = rebate), TradeId, Flags.</summary>
    Trade = 6,
    /// <summary>Order cancelled: AccountId, InstrumentId, OrderId, ClientOrderId, Side, Price, Quantity (lots
    /// cancelled), CancelReason.</summary>
    OrderCancelled = 7,
    /// <summary>Order amended: AccountId, InstrumentId, OrderId, ClientOrderId, Side, Price, Quantity (new
    /// remaining), Flags (<see cref="EventFlags.PriorityKept"/> when it kept its place).</summary>
    OrderAmended = 8,
    /// <summary>Funding for one position: AccountId, InstrumentId, Quantity (position), Amount (signed balance change:
    /// negative = paid).</summary>
    Funding = 9,
    /// <summary>Funding rounding dust paid to insurance: InstrumentId, Amount.</summary>
    FundingDust = 10,
    /// <summary>An account is liquidated: AccountId, Amount (E), Amount2 (MM) when it started.</summary>
    LiquidationStarted = 11,
    /// <summary>Liquidation fee paid from the account to insurance: AccountId, InstrumentId, Amount.</summary>
    LiquidationFee = 12,
    /// <summary>Insurance paid the account: AccountId, InstrumentId, Amount.</summary>
    InsurancePayment = 13,
    /// <summary>ADL closure: AccountId (liquidated), CounterpartyId, InstrumentId, Side (liquidated account's closing
    /// side), Quantity, Quote (what the liquidated account's side pays or receives), Price (mark).</summary>
    AdlClosure = 14,
    /// <summary>Socialized-loss haircut: AccountId (who pays), CounterpartyId (bankrupt account), Amount.</summary>
    Haircut = 15,
    /// <summary>Loss the exchange absorbed: AccountId (bankrupt account), Amount (positive).</summary>
    ExchangeLoss = 16,
    /// <summary>The liquidation of AccountId is over: Amount (its balance), Flags (<see cref="EventFlags.Cured"/>
    /// when cancelling its orders sufficed).</summary>
    LiquidationEnded = 17,
}
