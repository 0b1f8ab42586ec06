namespace Exchange.Core.Events;

/// <summary>
/// Stable reject reasons (RULEBOOK section 10), shared by core, protocol and scenario runner.
/// Never renumber; add new codes at the end.
/// </summary>
public enum RejectCode : byte
{
    None = 0,
    UnknownAccount = 1,
    UnknownInstrument = 2,
    UnknownOrder = 3,
    InvalidPrice = 4,
    InvalidQuantity = 5,
    PriceOutOfBand = 6,
    NoMarkPrice = 7,
    InsufficientMargin = 8,
    InsufficientBalance = 9,
    ReduceOnlyInvalid = 10,
    PostOnlyWouldTrade = 11,
    FokNotFillable = 12,
    DuplicateClientOrderId = 13,
    TooManyOpenOrders = 14,
    PositionLimit = 15,
    SelfTrade = 16,
    NotAuthorized = 17,
    Malformed = 18,
    RateLimited = 19,
    /// <summary>Post-only on anything but a GTC limit order.</summary>
    InvalidTimeInForce = 20,
    /// <summary>A deposit, withdrawal or funding rate that is zero, negative or past its bound.</summary>
    InvalidAmount = 21,
    /// <summary>An account id outside the configured capacity.</summary>
    AccountLimit = 22,
    /// <summary>A risk-increasing order (or replacing amend) on an instrument its circuit breaker halted.</summary>
    InstrumentHalted = 23,
    /// <summary>A resume command for an instrument that is not halted.</summary>
    InstrumentNotHalted = 24,
    /// <summary>A token at or below one its token space's window of outcomes let go (docs/protocol.md section 7):
    /// nothing executed, and the original outcome is no longer known; also the gateway's answer to a duplicate whose
    /// original outcome message its stream no longer holds.</summary>
    StaleToken = 25,
}
