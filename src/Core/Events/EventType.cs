namespace Exchange.Core.Events;

/// <summary>
/// What an <see cref="Event"/> reports. Field use per type is listed on each member; unused fields are zero.
/// Every event carries the <see cref="Event.Sequence"/>, <see cref="Event.CommandType"/> and
/// <see cref="Event.Timestamp"/> of the command that caused it.
/// <para>
/// Order of events within one command (normative: the reference model in tests emits the same stream):
/// a rejected command emits one <see cref="Rejected"/> and nothing else. A new order emits
/// <see cref="OrderAccepted"/>, then per maker in price-time order either a <see cref="OrderCancelled"/>
/// (self-trade prevention) or a <see cref="Trade"/>, then the taker's own <see cref="OrderCancelled"/> if its
/// remainder is cancelled (self-trade or IOC remainder). A replacing amend emits <see cref="OrderAmended"/> and then
/// matches like a new order. An order that rests once its matching is over (a new GTC order, or a replacing amend)
/// emits <see cref="OrderRested"/> right after its matching. A cancel-all emits an <see cref="OrderCancelled"/> per
/// order (oldest first), then <see cref="CancelAllDone"/>. Funding emits <see cref="Funding"/> per position in
/// account-id order, then <see cref="FundingDust"/>. Every command that can lower an account's E - MM ends with the liquidation loop,
/// each liquidation framed by <see cref="LiquidationStarted"/> and <see cref="LiquidationEnded"/>. Then, when the
/// command changed the insurance fund, one <see cref="InsuranceFund"/>. Last, for each account whose balance or
/// position the command changed, in the order the command first touched them: a <see cref="PositionState"/> per
/// instrument it touched (ascending), then one <see cref="AccountState"/>. An account is touched by a
/// <see cref="Trade"/> (taker and maker, in the instrument), a <see cref="Deposited"/> or <see cref="Withdrawn"/>,
/// a <see cref="Funding"/>, <see cref="LiquidationFee"/> or <see cref="InsurancePayment"/> (in the instrument), an
/// <see cref="AdlClosure"/> (both accounts, in the instrument), a <see cref="Haircut"/> and its
/// <see cref="LiquidationEnded"/>. Placing, amending or cancelling orders alone touches nothing: the order events
/// say what changed, and the next report (or a query) carries the margin.
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
    /// for a market order), Quantity (after a reduce-only clip), OrderType, TimeInForce (effective), OrderFlags, Stp.</summary>
    OrderAccepted = 5,
    /// <summary>Fill: AccountId (taker), CounterpartyId (maker), InstrumentId, OrderId (taker's; 0 for a
    /// liquidation order), MakerOrderId, ClientOrderId (taker's), Side (taker's), Price (maker's), Quantity, Quote
    /// (qty x price x tick_value), <see cref="Event.TakerFee"/>, <see cref="Event.MakerFee"/> (negative = rebate),
    /// TradeId, Flags.</summary>
    Trade = 6,
    /// <summary>Order cancelled: AccountId, InstrumentId, OrderId, ClientOrderId, Side, Price, Quantity (lots
    /// cancelled), CancelReason.</summary>
    OrderCancelled = 7,
    /// <summary>Order amended: AccountId, InstrumentId, OrderId, ClientOrderId, Side, Price, Quantity (new
    /// remaining), Flags (<see cref="EventFlags.PriorityKept"/> when it kept its place; then
    /// <see cref="Event.LotsReduced"/> is what the book lost). Without the flag the order left the book and
    /// matches as a taker: <see cref="OrderRested"/> follows if it rests again.</summary>
    OrderAmended = 8,
    /// <summary>Funding for one position: AccountId, InstrumentId, Quantity (position), Amount (signed balance change:
    /// negative = paid).</summary>
    Funding = 9,
    /// <summary>Funding rounding dust paid to insurance, the last event of every funding command: InstrumentId, Amount,
    /// <see cref="Event.FundingRate"/> (the command's rate).</summary>
    FundingDust = 10,
    /// <summary>An account is liquidated: AccountId, <see cref="Event.EquityAtStart"/>,
    /// <see cref="Event.MaintenanceAtStart"/>.</summary>
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
    /// <summary>An order rests on the book: AccountId, InstrumentId, OrderId, ClientOrderId, Side, Price, Quantity (lots
    /// resting).</summary>
    OrderRested = 18,
    /// <summary>One position after the command: AccountId, InstrumentId, <see cref="Event.PositionQty"/>,
    /// <see cref="Event.CostBasis"/>, <see cref="Event.Upnl"/>, <see cref="Event.OpenBuyLots"/>,
    /// <see cref="Event.OpenSellLots"/>, and in a query answer <see cref="Event.AdlQuintile"/>.</summary>
    PositionState = 19,
    /// <summary>One account after the command: AccountId, <see cref="Event.Balance"/>, <see cref="Event.Equity"/>,
    /// <see cref="Event.InitialMargin"/>, <see cref="Event.MaintenanceMargin"/>, <see cref="Event.FreeMargin"/>
    /// (E - order loss - IM), <see cref="Event.OpenOrders"/>.</summary>
    AccountState = 20,
    /// <summary>The insurance fund after the command: Amount.</summary>
    InsuranceFund = 21,
    /// <summary>An instrument's circuit breaker halted it, right after the <see cref="MarkPrice"/> that breached:
    /// InstrumentId, Price (that mark), Amount (the earlier mark it was measured from).</summary>
    TradingHalted = 22,
    /// <summary>A halted instrument resumed: InstrumentId, Price (its mark). By rule right after the
    /// <see cref="MarkPrice"/> that completed the calm window; by an admin's ResumeTrading command, with
    /// <see cref="Event.AccountId"/> 0 and <see cref="Event.Amount"/> 1.</summary>
    TradingResumed = 23,
    /// <summary>A cancel-all is done, right after its <see cref="OrderCancelled"/> events: AccountId, InstrumentId (the
    /// scope as asked: <see cref="Commands.Command.AllInstruments"/> for every instrument),
    /// <see cref="Event.CancelledOrders"/>.</summary>
    CancelAllDone = 24,
    /// <summary>A command whose token its token space applied before (docs/protocol.md section 7): nothing executed,
    /// no other event follows. AccountId (the command's), <see cref="Event.Origin"/>, <see cref="Event.Token"/>,
    /// <see cref="Event.OriginalSequence"/> (the command that applied it), OrderId (the order id it assigned or acted
    /// on, 0 when none), <see cref="Event.OriginalOutcome"/> (its reject code, None when it was executed).</summary>
    Duplicate = 25,
    /// <summary>The answer to a <see cref="Commands.CommandType.GatewayReject"/>: a message the gateway refused before the
    /// exchange. Nothing executed, no other event follows. Reason (the code), AccountId (the message's 32-bit account
    /// field, as is), InstrumentId (the message's; −1 when it did not decode), OrderId, and
    /// <see cref="Event.RejectedMessageType"/> (the message's type letter).</summary>
    GatewayRejected = 26,
}
