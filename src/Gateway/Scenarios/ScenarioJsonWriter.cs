using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Exchange.Core;

namespace Exchange.Gateway.Scenarios;

/// <summary>
/// Writes a finished run as one indented JSON document: settings, instruments, accounts, the three ledgers, the
/// conservation check and every event. Every amount is an exact decimal string in human units (money with
/// <c>decimals</c> places, prices in ticks x tick, quantities in lots x lot), so nothing passes through a double.
/// </summary>
internal static class ScenarioJsonWriter
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        // Names are free words; relaxed escaping keeps them readable (the document is never embedded in HTML).
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string ToJson(ScenarioResult result)
    {
        using var stream = new MemoryStream();
        Write(result, stream);
        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length) + "\n";
    }

    public static void Write(ScenarioResult result, Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, Options);
        var s = result.Scenario;
        var x = result.Exchange;
        w.WriteStartObject();
        w.WriteNumber("decimals", s.Decimals);
        w.WriteString("policy", s.Policy == LossPolicy.Socialize ? "socialize" : "adl");

        w.WriteStartArray("instruments");
        for (var i = 0; i < s.Instruments.Count; i++)
        {
            w.WriteStartObject();
            w.WriteString("name", s.Instruments[i].Name);
            if (x.Mark(i) > 0) w.WriteString("mark", s.FormatPrice(i, x.Mark(i)));
            else w.WriteNull("mark");
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteStartArray("accounts");
        for (var a = 1; a <= result.Accounts.Count; a++) WriteAccount(w, s, x, a, result.Accounts[a - 1]);
        w.WriteEndArray();

        w.WriteString("insurance", s.FormatMoney(x.Insurance));
        w.WriteString("fees", s.FormatMoney(x.Fees));
        w.WriteString("exchange", s.FormatMoney(x.ExchangeLedger));
        WriteConservation(w, s, result.Conservation);

        w.WriteStartArray("events");
        foreach (var e in result.Events) EventJsonWriter.Write(w, result, e);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteAccount(Utf8JsonWriter w, Scenario s, Core.Exchange x, int a, string name)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteNumber("id", a);
        w.WriteString("balance", s.FormatMoney(x.Balance(a)));
        w.WriteString("equity", s.FormatMoney(x.Equity(a)));
        w.WriteNumber("open_orders", x.OpenOrders(a));
        w.WriteStartArray("positions");
        for (var i = 0; i < s.Instruments.Count; i++)
        {
            w.WriteStartObject();
            w.WriteString("instrument", s.Instruments[i].Name);
            w.WriteString("qty", s.FormatQty(i, x.PositionQty(a, i)));
            w.WriteString("cost", s.FormatMoney(x.PositionCost(a, i)));
            w.WriteString("upnl", s.FormatMoney(x.Upnl(a, i)));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteConservation(Utf8JsonWriter w, Scenario s, Conservation c)
    {
        w.WriteStartObject("conservation");
        w.WriteString("balances", s.FormatMoney(c.Balances));
        w.WriteString("costs", s.FormatMoney(c.Costs));
        w.WriteString("left", s.FormatMoney(c.Left));
        w.WriteString("deposits", s.FormatMoney(c.Deposits));
        w.WriteString("withdrawals", s.FormatMoney(c.Withdrawals));
        w.WriteString("right", s.FormatMoney(c.Right));
        w.WriteBoolean("money_ok", c.MoneyBalances);
        w.WriteStartArray("net_qty");
        for (var i = 0; i < c.NetLots.Count; i++)
        {
            w.WriteStartObject();
            w.WriteString("instrument", s.Instruments[i].Name);
            w.WriteString("sum_qty", s.FormatQty(i, c.NetLots[i]));
            w.WriteBoolean("ok", c.NetLots[i] == 0);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteBoolean("ok", c.Ok);
        w.WriteEndObject();
    }
}
