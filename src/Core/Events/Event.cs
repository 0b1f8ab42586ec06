using Exchange.Core.Commands;

namespace Exchange.Core.Events;

/// <summary>
/// One output of the state machine. A flat struct so the core can write it into a reused buffer without allocating;
/// field use per type is documented on <see cref="EventType"/>. The storage fields are shared between types; read a
/// value that is not the field's plain meaning through its typed view (Event.Views.cs: <see cref="TakerFee"/>,
/// <see cref="Balance"/>, ...), which names it for the one event type it belongs to.
/// </summary>
public partial struct Event : IEquatable<Event>
{
    public EventType Type;
    public CommandType CommandType;
    public RejectCode Reason;
    public CancelReason CancelReason;
    public Side Side;
    public EventFlags Flags;
    /// <summary>OrderAccepted: the order's type.</summary>
    public OrderType OrderType;
    /// <summary>OrderAccepted: the effective time in force (a market order is IOC, or FOK).</summary>
    public TimeInForce TimeInForce;
    /// <summary>OrderAccepted: the order's flags as entered.</summary>
    public OrderFlags OrderFlags;
    /// <summary>OrderAccepted: the order's self-trade prevention.</summary>
    public SelfTradePrevention Stp;
    public int AccountId;
    public int CounterpartyId;
    public int InstrumentId;
    public long OrderId;
    public long ClientOrderId;
    public long MakerOrderId;
    /// <summary>Trade: the maker order's client order id (the taker's is <see cref="ClientOrderId"/>).</summary>
    public long MakerClientOrderId;
    public long TradeId;
    public long Price;
    public long Quantity;
    public long Quote;
    public long Amount;
    public long Amount2;
    public long Sequence;
    /// <summary>The command's timestamp (ns since the Unix epoch, as the gateway stamped it when the message that caused
    /// it arrived): every event of one command carries the same, so a consumer never needs the command.</summary>
    public long Timestamp;

    public readonly bool Equals(Event other) =>
        Type == other.Type && CommandType == other.CommandType && Reason == other.Reason &&
        CancelReason == other.CancelReason && Side == other.Side && Flags == other.Flags &&
        OrderType == other.OrderType && TimeInForce == other.TimeInForce && OrderFlags == other.OrderFlags && Stp == other.Stp &&
        AccountId == other.AccountId && CounterpartyId == other.CounterpartyId && InstrumentId == other.InstrumentId &&
        OrderId == other.OrderId && ClientOrderId == other.ClientOrderId && MakerOrderId == other.MakerOrderId &&
        MakerClientOrderId == other.MakerClientOrderId &&
        TradeId == other.TradeId && Price == other.Price && Quantity == other.Quantity && Quote == other.Quote &&
        Amount == other.Amount && Amount2 == other.Amount2 && Sequence == other.Sequence && Timestamp == other.Timestamp;

    public override readonly bool Equals(object? obj) => obj is Event e && Equals(e);

    public override readonly int GetHashCode() =>
        HashCode.Combine(Type, AccountId, OrderId, TradeId, Price, Quantity, Amount, Sequence);

    public override readonly string ToString() => Type switch
    {
        EventType.Rejected => $"#{Sequence} Rejected {CommandType} acct={AccountId} instr={InstrumentId} order={OrderId} cid={ClientOrderId} {RejectCodeNames.Name(Reason)}",
        EventType.Trade => $"#{Sequence} Trade#{TradeId} taker={AccountId}/{OrderId} maker={CounterpartyId}/{MakerOrderId} mcid={MakerClientOrderId} instr={InstrumentId} {Side} {Quantity}@{Price} quote={Quote} fees={Amount}/{Amount2} {Flags}",
        EventType.OrderAccepted => $"#{Sequence} OrderAccepted acct={AccountId} instr={InstrumentId} order={OrderId} cid={ClientOrderId} {Side} {OrderType} {TimeInForce} {OrderFlags} {Stp} px={Price} qty={Quantity}",
        EventType.AccountState => $"#{Sequence} AccountState acct={AccountId} balance={Balance} equity={Equity} im={InitialMargin} mm={MaintenanceMargin} free={FreeMargin} orders={OpenOrders}",
        EventType.CancelAllDone => $"#{Sequence} CancelAllDone acct={AccountId} instr={InstrumentId} cancelled={CancelledOrders}",
        EventType.PositionState => $"#{Sequence} PositionState acct={AccountId} instr={InstrumentId} qty={PositionQty} cost={CostBasis} upnl={Upnl} buy={OpenBuyLots} sell={OpenSellLots} adl={AdlQuintile}",
        _ => $"#{Sequence} {Type} acct={AccountId} cp={CounterpartyId} instr={InstrumentId} order={OrderId} cid={ClientOrderId} {Side} px={Price} qty={Quantity} quote={Quote} amt={Amount} amt2={Amount2} {CancelReason} {Flags}",
    };
}
