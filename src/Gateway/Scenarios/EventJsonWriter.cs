using System.Text.Json;
using Exchange.Core.Commands;
using Exchange.Core.Events;

namespace Exchange.Gateway.Scenarios;

/// <summary>
/// Writes one core event as a JSON object: its scenario line, a type name and the fields of that type
/// (<see cref="EventType"/>) in human units, with account and instrument names instead of ids.
/// </summary>
internal static class EventJsonWriter
{
    public static void Write(Utf8JsonWriter w, ScenarioResult r, ScenarioEvent se)
    {
        var e = se.Event;
        var s = r.Scenario;
        w.WriteStartObject();
        w.WriteNumber("line", se.Step.Line);
        w.WriteString("type", TypeName(e.Type));
        switch (e.Type)
        {
            case EventType.Rejected:
                w.WriteString("command", se.Step.Verb);
                if (se.Step.AccountName is { } name) w.WriteString("account", name);
                else if (e.CommandType == CommandType.DepositInsurance) w.WriteString("account", "insurance");
                if (RefersToInstrument(se.Step.Command)) w.WriteString("instrument", s.Instruments[e.InstrumentId].Name);
                if (e.ClientOrderId != 0) w.WriteNumber("id", e.ClientOrderId);
                w.WriteString("code", RejectCodeNames.Name(e.Reason));
                break;
            case EventType.Deposited:
                w.WriteString("account", e.AccountId == 0 ? "insurance" : r.AccountName(e.AccountId));
                w.WriteString("amount", s.FormatMoney(e.Amount));
                break;
            case EventType.Withdrawn:
                w.WriteString("account", r.AccountName(e.AccountId));
                w.WriteString("amount", s.FormatMoney(e.Amount));
                break;
            case EventType.MarkPrice:
                Instrument(w, s, e);
                w.WriteString("price", s.FormatPrice(e.InstrumentId, e.Price));
                break;
            case EventType.OrderAccepted:
            case EventType.OrderCancelled:
            case EventType.OrderAmended:
                w.WriteString("account", r.AccountName(e.AccountId));
                Instrument(w, s, e);
                w.WriteNumber("order_id", e.OrderId);
                if (e.ClientOrderId != 0) w.WriteNumber("id", e.ClientOrderId);
                w.WriteString("side", SideName(e.Side));
                w.WriteString("price", s.FormatPrice(e.InstrumentId, e.Price));
                w.WriteString("qty", s.FormatQty(e.InstrumentId, e.Quantity));
                if (e.Type == EventType.OrderCancelled) w.WriteString("reason", CancelReasonName(e.CancelReason));
                if (e.Type == EventType.OrderAmended) w.WriteBoolean("priority_kept", (e.Flags & EventFlags.PriorityKept) != 0);
                break;
            case EventType.Trade:
                w.WriteNumber("trade_id", e.TradeId);
                Instrument(w, s, e);
                w.WriteString("taker", r.AccountName(e.AccountId));
                w.WriteString("maker", r.AccountName(e.CounterpartyId));
                w.WriteNumber("taker_order_id", e.OrderId);
                w.WriteNumber("maker_order_id", e.MakerOrderId);
                w.WriteString("side", SideName(e.Side));
                w.WriteString("price", s.FormatPrice(e.InstrumentId, e.Price));
                w.WriteString("qty", s.FormatQty(e.InstrumentId, e.Quantity));
                w.WriteString("quote", s.FormatMoney(e.Quote));
                w.WriteString("taker_fee", s.FormatMoney(e.Amount));
                w.WriteString("maker_fee", s.FormatMoney(e.Amount2));
                w.WriteBoolean("liquidation", (e.Flags & EventFlags.Liquidation) != 0);
                break;
            case EventType.Funding:
                w.WriteString("account", r.AccountName(e.AccountId));
                Instrument(w, s, e);
                w.WriteString("rate", Scenario.FormatRate(se.Step.Command.Amount));
                w.WriteString("qty", s.FormatQty(e.InstrumentId, e.Quantity));
                w.WriteString("amount", s.FormatMoney(e.Amount));
                break;
            case EventType.FundingDust:
                Instrument(w, s, e);
                w.WriteString("amount", s.FormatMoney(e.Amount));
                break;
            case EventType.LiquidationStarted:
                w.WriteString("account", r.AccountName(e.AccountId));
                w.WriteString("equity", s.FormatMoney(e.Amount));
                w.WriteString("mm", s.FormatMoney(e.Amount2));
                break;
            case EventType.LiquidationFee:
            case EventType.InsurancePayment:
                w.WriteString("account", r.AccountName(e.AccountId));
                if (e.InstrumentId >= 0) Instrument(w, s, e);
                else w.WriteNull("instrument");
                w.WriteString("amount", s.FormatMoney(e.Amount));
                break;
            case EventType.AdlClosure:
                w.WriteString("account", r.AccountName(e.AccountId));
                w.WriteString("counterparty", r.AccountName(e.CounterpartyId));
                Instrument(w, s, e);
                w.WriteString("side", SideName(e.Side));
                w.WriteString("qty", s.FormatQty(e.InstrumentId, e.Quantity));
                w.WriteString("quote", s.FormatMoney(e.Quote));
                w.WriteString("mark", s.FormatPrice(e.InstrumentId, e.Price));
                break;
            case EventType.Haircut:
                w.WriteString("account", r.AccountName(e.AccountId));
                w.WriteString("bankrupt", r.AccountName(e.CounterpartyId));
                w.WriteString("amount", s.FormatMoney(e.Amount));
                break;
            case EventType.ExchangeLoss:
                w.WriteString("account", r.AccountName(e.AccountId));
                w.WriteString("amount", s.FormatMoney(e.Amount));
                break;
            case EventType.LiquidationEnded:
                w.WriteString("account", r.AccountName(e.AccountId));
                w.WriteString("balance", s.FormatMoney(e.Amount));
                w.WriteBoolean("cured", (e.Flags & EventFlags.Cured) != 0);
                break;
            case EventType.TradingHalted:
                Instrument(w, s, e);
                w.WriteString("price", s.FormatPrice(e.InstrumentId, e.Price));
                w.WriteString("reference", s.FormatPrice(e.InstrumentId, e.Amount));
                break;
            case EventType.TradingResumed:
                Instrument(w, s, e);
                w.WriteString("price", s.FormatPrice(e.InstrumentId, e.Price));
                w.WriteString("by", e.Amount == 1 ? "admin" : "rule");
                break;
        }
        w.WriteEndObject();
    }

    /// <summary>
    /// Whether the output lists events of this type: not the rest of an order (its acceptance and fills say it), a
    /// cancel-all's summary (its cancellations say it), the insurance fund or the per-command account and position
    /// states, which the output's final state gives once.
    /// </summary>
    public static bool Listed(EventType type) =>
        type is not (EventType.OrderRested or EventType.CancelAllDone or EventType.PositionState or EventType.AccountState
            or EventType.InsuranceFund);

    /// <summary>The name each event type has in the output.</summary>
    public static string TypeName(EventType type) => type switch
    {
        EventType.Rejected => "rejected",
        EventType.Deposited => "deposit",
        EventType.Withdrawn => "withdrawal",
        EventType.MarkPrice => "mark",
        EventType.OrderAccepted => "accepted",
        EventType.Trade => "trade",
        EventType.OrderCancelled => "cancelled",
        EventType.OrderAmended => "amended",
        EventType.Funding => "funding",
        EventType.FundingDust => "funding-dust",
        EventType.LiquidationStarted => "liquidation",
        EventType.LiquidationFee => "liquidation-fee",
        EventType.InsurancePayment => "insurance",
        EventType.AdlClosure => "adl",
        EventType.Haircut => "haircut",
        EventType.ExchangeLoss => "exchange-loss",
        EventType.LiquidationEnded => "liquidation-end",
        EventType.TradingHalted => "halt",
        EventType.TradingResumed => "resume",
        EventType.Duplicate => "duplicate",
        _ => "unknown",
    };

    public static string CancelReasonName(CancelReason reason) => reason switch
    {
        CancelReason.User => "user",
        CancelReason.IocRemainder => "ioc-remainder",
        CancelReason.SelfTrade => "self-trade",
        CancelReason.Liquidation => "liquidation",
        CancelReason.Adl => "adl",
        _ => "none",
    };

    public static string SideName(Side side) => side == Side.Buy ? "buy" : "sell";

    private static void Instrument(Utf8JsonWriter w, Scenario s, Event e) =>
        w.WriteString("instrument", s.Instruments[e.InstrumentId].Name);

    private static bool RefersToInstrument(in Command c) => c.Type switch
    {
        CommandType.NewOrder or CommandType.SetMark or CommandType.Funding or CommandType.ResumeTrading => true,
        CommandType.CancelAll => c.InstrumentId != Command.AllInstruments,
        _ => false,
    };
}
