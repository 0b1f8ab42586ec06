namespace Exchange.Core.Commands;

/// <summary>
/// One sequenced input to the state machine. A flat, blittable struct so it can live in a preallocated ring slot
/// and be journaled as bytes; which fields matter depends on <see cref="Type"/> (see <see cref="CommandType"/>).
/// </summary>
public struct Command
{
    /// <summary>Value of <see cref="InstrumentId"/> in a cancel-all that covers every instrument.</summary>
    public const int AllInstruments = -1;

    public CommandType Type;
    public Side Side;
    public OrderType OrderType;
    public TimeInForce TimeInForce;
    public OrderFlags Flags;
    public SelfTradePrevention Stp;
    /// <summary>Trader account, 1-based.</summary>
    public int AccountId;
    /// <summary>Instrument, 0-based, in the order instruments were added.</summary>
    public int InstrumentId;
    /// <summary>Limit price or mark price, in ticks.</summary>
    public long Price;
    /// <summary>Order quantity or new remaining quantity, in lots.</summary>
    public long Quantity;
    /// <summary>The client's id of the order (unique per account among its open orders; 0 = none).</summary>
    public long ClientOrderId;
    /// <summary>The exchange's id of the order a cancel or amend refers to (0 = refer by client id).</summary>
    public long OrderId;
    /// <summary>Money (collateral units) for deposits and withdrawals; ppm for funding.</summary>
    public long Amount;
    /// <summary>Stamped by the pipeline at entry; copied into every event the command causes.</summary>
    public long Sequence;
    /// <summary>Stamped by the gateway at entry (ns); the core never reads a clock.</summary>
    public long Timestamp;
    /// <summary>The token space <see cref="Token"/> belongs to (docs/architecture.md: a trader's account id; 2^31 and up
    /// for the other users). 0 = not deduplicated (scenarios, stress, internal commands, queries without one).</summary>
    public uint Origin;
    /// <summary>The client's token, deduplicated by the core per <see cref="Origin"/> (docs/protocol.md section 7);
    /// 0 = not deduplicated.</summary>
    public uint Token;

    /// <summary>Whether the core deduplicates this command by its <see cref="Origin"/> and <see cref="Token"/>. An account
    /// query and a gateway reject carry the token of their message (their answer echoes it) but are never deduplicated:
    /// the core answers them before it looks at tokens (<see cref="IsNoOp"/>).</summary>
    public readonly bool IsTokened => Origin != 0 && Token != 0;

    /// <summary>A command the core applies as a no-op apart from its answer, before any token check: an account or book
    /// query, or a gateway reject (<see cref="CommandType.GatewayReject"/>).</summary>
    public readonly bool IsNoOp => Type is CommandType.QueryAccount or CommandType.QueryBook or CommandType.GatewayReject;

    /// <summary>A read-only command (<see cref="CommandType.QueryAccount"/>, <see cref="CommandType.QueryBook"/>):
    /// applying it changes nothing (an account query moves only <see cref="Exchange.LastSequence"/>, since it is
    /// journaled).</summary>
    public readonly bool IsQuery => Type is CommandType.QueryAccount or CommandType.QueryBook;

    /// <summary>Whether the pipeline journals this command: every command but a market-data late joiner's book query
    /// (<see cref="CommandType.QueryBook"/>), whose answer goes to a one-off snapshot session and into no sequenced
    /// stream. An account query is journaled so that its answer, a message of the user's stream, is derived from the
    /// journal like every other one (docs/protocol.md section 8).</summary>
    public readonly bool IsJournaled => Type != CommandType.QueryBook;

    public static Command AccountQuery(int account) => new() { Type = CommandType.QueryAccount, AccountId = account };

    /// <summary>The gateway's reject of a message it refused before the exchange (<see cref="CommandType.GatewayReject"/>):
    /// the fields its J echoes. The caller sets <see cref="Origin"/>, <see cref="Token"/> and <see cref="Timestamp"/>.</summary>
    public static Command GatewayRejected(byte messageType, Events.RejectCode code, uint account, int instrument, long orderId) =>
        new()
        {
            Type = CommandType.GatewayReject, AccountId = unchecked((int)account), InstrumentId = instrument, OrderId = orderId,
            Amount = (long)code, Quantity = messageType,
        };

    /// <summary>GatewayReject: the reject code (stored in <see cref="Amount"/>).</summary>
    public readonly Events.RejectCode RejectedCode => (Events.RejectCode)Amount;

    /// <summary>GatewayReject: the refused message's type letter (stored in <see cref="Quantity"/>).</summary>
    public readonly byte RejectedMessageType => (byte)Quantity;

    public static Command BookQuery(int instrument = AllInstruments) =>
        new() { Type = CommandType.QueryBook, InstrumentId = instrument };

    public static Command NewOrder(int account, int instrument, Side side, OrderType type, long price, long quantity,
        TimeInForce tif = TimeInForce.Gtc, OrderFlags flags = OrderFlags.None,
        SelfTradePrevention stp = SelfTradePrevention.CancelTaker, long clientOrderId = 0) => new()
    {
        Type = CommandType.NewOrder, AccountId = account, InstrumentId = instrument, Side = side, OrderType = type,
        Price = price, Quantity = quantity, TimeInForce = tif, Flags = flags, Stp = stp, ClientOrderId = clientOrderId,
    };

    public static Command Limit(int account, int instrument, Side side, long price, long quantity,
        TimeInForce tif = TimeInForce.Gtc, long clientOrderId = 0) =>
        NewOrder(account, instrument, side, OrderType.Limit, price, quantity, tif, clientOrderId: clientOrderId);

    public static Command Market(int account, int instrument, Side side, long quantity) =>
        NewOrder(account, instrument, side, OrderType.Market, 0, quantity, TimeInForce.Ioc);

    public static Command CancelOrder(int account, long orderId, long clientOrderId = 0) =>
        new() { Type = CommandType.Cancel, AccountId = account, OrderId = orderId, ClientOrderId = clientOrderId };

    public static Command CancelAllOrders(int account, int instrument = AllInstruments) =>
        new() { Type = CommandType.CancelAll, AccountId = account, InstrumentId = instrument };

    public static Command AmendOrder(int account, long orderId, long price, long quantity, long clientOrderId = 0) =>
        new()
        {
            Type = CommandType.Amend, AccountId = account, OrderId = orderId, ClientOrderId = clientOrderId,
            Price = price, Quantity = quantity,
        };

    public static Command DepositTo(int account, long amount) =>
        new() { Type = CommandType.Deposit, AccountId = account, Amount = amount };

    public static Command WithdrawFrom(int account, long amount) =>
        new() { Type = CommandType.Withdraw, AccountId = account, Amount = amount };

    public static Command InsuranceDeposit(long amount) =>
        new() { Type = CommandType.DepositInsurance, Amount = amount };

    public static Command Mark(int instrument, long price) =>
        new() { Type = CommandType.SetMark, InstrumentId = instrument, Price = price };

    public static Command FundingAt(int instrument, long ratePpm) =>
        new() { Type = CommandType.Funding, InstrumentId = instrument, Amount = ratePpm };

    public static Command Resume(int instrument) => new() { Type = CommandType.ResumeTrading, InstrumentId = instrument };
}
