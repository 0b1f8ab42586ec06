namespace Exchange.Core.Commands;

/// <summary>What a <see cref="Command"/> asks the exchange to do. Values are stable: they are journaled.</summary>
public enum CommandType : byte
{
    None = 0,
    /// <summary>Enter an order: account, instrument, side, order type, TIF, flags, STP, price, quantity, client id.</summary>
    NewOrder = 1,
    /// <summary>Cancel one order, by <see cref="Command.OrderId"/> or else by <see cref="Command.ClientOrderId"/>.</summary>
    Cancel = 2,
    /// <summary>Cancel every open order of the account; <see cref="Command.InstrumentId"/> = <see cref="Command.AllInstruments"/> or one instrument.</summary>
    CancelAll = 3,
    /// <summary>Amend one order: new price (0 = unchanged) and/or new remaining quantity (0 = unchanged).</summary>
    Amend = 4,
    /// <summary>Deposit <see cref="Command.Amount"/> into an account; the first deposit creates the account.</summary>
    Deposit = 5,
    /// <summary>Withdraw <see cref="Command.Amount"/> from an account (checked against balance and margin).</summary>
    Withdraw = 6,
    /// <summary>Deposit <see cref="Command.Amount"/> into the insurance fund.</summary>
    DepositInsurance = 7,
    /// <summary>A new mark price (<see cref="Command.Price"/>, ticks) for an instrument, from the price feed.</summary>
    SetMark = 8,
    /// <summary>Funding at <see cref="Command.Amount"/> ppm of notional for an instrument (longs pay when positive).</summary>
    Funding = 9,
    /// <summary>
    /// Read-only: the state of <see cref="Command.AccountId"/>, answered in sequence with a PositionState (with the
    /// ADL indicator) per instrument where it holds a position or orders, then its AccountState (Rejected with
    /// UnknownAccount if it does not exist). Journaled (its answer is a message of the user's stream, so a restart or a
    /// cluster's follower derives it from the log like any other), it changes nothing but
    /// <see cref="Exchange.LastSequence"/>. <see cref="Command.Origin"/> is the asking user's token space (the answer
    /// carries its next expected token), <see cref="Command.Token"/> the asking message's token (echoed, never
    /// deduplicated).
    /// </summary>
    QueryAccount = 10,
    /// <summary>
    /// Read-only: the whole book of <see cref="Command.InstrumentId"/> (or of every instrument, with
    /// <see cref="Command.AllInstruments"/>), answered in sequence: per instrument an OrderRested per resting order in
    /// priority order (bids best first, then asks), its MarkPrice when it has one and a TradingHalted when its circuit
    /// breaker halts it (Price: the current mark, Amount: the halt's reference mark); then the InsuranceFund. A
    /// snapshot for a market-data late joiner, consistent with the events before and after it by construction. Never
    /// journaled (its answer goes to a one-off snapshot session, no sequenced stream) and changes nothing, not even
    /// <see cref="Exchange.LastSequence"/>.
    /// </summary>
    QueryBook = 11,
    /// <summary>An admin ends the circuit-breaker halt of <see cref="Command.InstrumentId"/> (UnknownInstrument,
    /// InstrumentNotHalted otherwise); emits TradingResumed.</summary>
    ResumeTrading = 12,
    /// <summary>
    /// A message the gateway refused before the exchange (docs/protocol.md sections 5 and 9: RATE_LIMITED, including a
    /// full input queue, MALFORMED, NOT_AUTHORIZED), journaled so that its answer, a message of the user's stream, is
    /// derived from the journal like every other. Applied as a no-op that emits one GatewayRejected event: it changes
    /// nothing but <see cref="Exchange.LastSequence"/>, and consumes no token (the token check never sees it).
    /// <see cref="Command.Origin"/> is the sender's token space, <see cref="Command.Token"/> the refused message's token
    /// (echoed, never deduplicated); AccountId (the message's 32-bit account field, as is), InstrumentId (−1 when the
    /// message did not decode) and OrderId are the message's; <see cref="Command.RejectedCode"/> and
    /// <see cref="Command.RejectedMessageType"/> name the code and the message's type letter.
    /// </summary>
    GatewayReject = 13,
}
