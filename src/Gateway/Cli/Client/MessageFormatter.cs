using Exchange.Client;
using Exchange.Client.Protocol;
using Exchange.Core.Events;

namespace Exchange.Gateway.Cli.Client;

/// <summary>
/// One line per outbound message, in human units, for <c>exchange client</c>: the message's sequence number, then what
/// it says, with reject codes and cancel reasons by their docs/protocol.md names.
/// </summary>
public sealed class MessageFormatter(Units units, bool showAccount = false)
{
    /// <summary>The line above the messages: what the first column is.</summary>
    public static string Header(string stream, string command) =>
        $"{"seq",6}  message    (seq: its number in {stream}; '{command} --from SEQ' replays from there)";

    public string Format(ServerMessage m)
    {
        var ins = units.Name(m.Instrument);
        var side = m.Side == 0 ? "buy" : "sell";
        var account = showAccount ? $"account {m.Account} " : "";
        var body = m.Type switch
        {
            'A' => $"accepted   token {m.Token} order {m.OrderId} {ins} {side} {units.Size(m.Instrument, m.Quantity)} @ {units.Price(m.Instrument, m.Price)}",
            'J' => $"rejected   token {m.Token} {MessageName(m.RejectedType)}: {RejectCodeNames.Name(m.RejectCode)} ({(int)m.RejectCode})",
            'U' => $"replaced   token {m.Token} order {m.OrderId} {ins} {side} {units.Size(m.Instrument, m.Quantity)} @ {units.Price(m.Instrument, m.Price)}" +
                   ((m.Flags & 1) != 0 ? " (priority kept)" : ""),
            'C' => $"canceled   token {m.Token} order {m.OrderId} {ins} {side} {units.Size(m.Instrument, m.Quantity)} @ {units.Price(m.Instrument, m.Price)}" +
                   $" ({ReasonName(m.CancelReason)})",
            'K' => $"cancel-all token {m.Token}: {m.Count} orders canceled",
            'E' => $"executed   {account}order {m.OrderId} trade {m.TradeId} {ins} {side} {units.Size(m.Instrument, m.Quantity)} @ {units.Price(m.Instrument, m.Price)}" +
                   $" {(m.Liquidity == 'M' ? "maker" : m.Liquidity == 'T' ? "taker" : "liquidation")} fee {units.Money(m.Fee)}",
            'P' => $"position   {ins} {units.Size(m.Instrument, m.Position)} cost {units.Money(m.Cost)} upnl {units.Money(m.Upnl)}",
            'B' => $"balance    {units.Money(m.Balance)} equity {units.Money(m.Equity)} mm {units.Money(m.Maintenance)} free {units.Money(m.FreeMargin)} open orders {m.Count}",
            'T' => $"transfer   token {m.Token} {(m.Kind switch { 1 => "deposit", 2 => "withdrawal", _ => "insurance deposit" })} account {m.Account} {units.Money(m.Amount)}",
            'M' => $"mark       token {m.Token} {ins} {units.Price(m.Instrument, m.Price)}",
            'S' => m.Kind == Outbound.Halted
                ? $"HALTED     token {m.Token} {ins} mark {units.Price(m.Instrument, m.Price)} moved from {units.Price(m.Instrument, m.Amount)}"
                : $"resumed    token {m.Token} {ins} mark {units.Price(m.Instrument, m.Price)} ({(m.Kind == Outbound.ResumedByAdmin ? "by an admin" : "calm window")})",
            'W' => $"funding    token {m.Token} {ins} {m.Amount} ppm, {m.Count} positions, dust {units.Money(m.Amount2)}",
            'R' => $"funding    {ins} position {units.Size(m.Instrument, m.Position)} paid/received {units.Money(m.Amount)}",
            'L' => m.Kind == 1
                ? $"LIQUIDATION started: equity {units.Money(m.Amount)} < maintenance {units.Money(m.Amount2)}"
                : $"LIQUIDATION ended{((m.Flags & 1) != 0 ? " (cured)" : "")}: balance {units.Money(m.Amount)}",
            'G' => $"liquidation fee {ins} {units.Money(m.Amount)}",
            'I' => $"insurance payment {ins} {units.Money(m.Amount)}",
            'V' => $"ADL ({(m.Kind == 1 ? "liquidated" : "deleveraged")}) {ins} {side} {units.Size(m.Instrument, m.Quantity)} @ {units.Price(m.Instrument, m.Price)}",
            'H' => $"haircut    {units.Money(m.Amount)}",
            'Q' => Account(m),
            _ => $"unknown message ({m.Raw.Length} bytes)",
        };
        return $"{m.Sequence,6}  {body}";
    }

    /// <summary>The inbound message a <c>J</c> refuses, as docs/protocol.md section 3 names it.</summary>
    public static string MessageName(char type) => type switch
    {
        'O' => "enter order",
        'U' => "replace order",
        'X' => "cancel order",
        'C' => "cancel all",
        'Q' => "account query",
        'P' => "set mark price",
        'F' => "apply funding",
        'D' => "deposit",
        'W' => "withdraw",
        'I' => "insurance deposit",
        _ => $"message '{type}'",
    };

    /// <summary>A cancel reason as docs/protocol.md section 2 names it.</summary>
    public static string ReasonName(CancelReason reason) => reason switch
    {
        CancelReason.User => "user",
        CancelReason.IocRemainder => "IOC remainder",
        CancelReason.SelfTrade => "self-trade",
        CancelReason.Liquidation => "liquidation",
        CancelReason.Adl => "ADL",
        _ => $"reason {(int)reason}",
    };

    private string Account(ServerMessage m)
    {
        if (m.Account == 0) return $"next token {m.NextToken} (the answer to an account-0 query)";
        var text = $"account    {m.Account}: balance {units.Money(m.Balance)} equity {units.Money(m.Equity)} mm {units.Money(m.Maintenance)}" +
                   $" free {units.Money(m.FreeMargin)} open orders {m.Count} next token {m.NextToken}";
        foreach (var p in m.Positions)
            text += $"\n          {units.Name(p.Instrument)} {units.Size(p.Instrument, p.Position)} cost {units.Money(p.Cost)} upnl {units.Money(p.Upnl)}" +
                    $" open buy {units.Size(p.Instrument, p.OpenBuyLots)} sell {units.Size(p.Instrument, p.OpenSellLots)} ADL {p.AdlQuintile}/5";
        return text;
    }
}
