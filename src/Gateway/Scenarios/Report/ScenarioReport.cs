using System.Net;
using System.Numerics;
using System.Text;
using Exchange.Core.Events;
using ScottPlot;

namespace Exchange.Gateway.Scenarios.Report;

/// <summary>
/// <c>exchange scenario FILE --report DIR</c>: DIR/index.html, one self-contained page for a risk team: the insurance
/// fund, the fee and exchange ledgers and the accounts' total equity after every line (plots embedded as PNG), each
/// liquidation and how its loss was covered (book, insurance, ADL, haircuts, exchange), the ADL closures in queue
/// order at each deleverage, and the haircuts per account. Tables show exact figures; plots pass through doubles.
/// </summary>
internal static class ScenarioReport
{
    private const int Width = 960;
    private const int Height = 380;

    /// <summary>Runs the scenario and writes DIR/index.html; returns the page's path.</summary>
    public static string Write(string directory, Scenario scenario, string title)
    {
        var lines = new List<LineState>();
        var result = ScenarioRunner.Execute(scenario, (step, exchange) =>
        {
            Int128 equity = 0;
            for (var a = 1; a <= exchange.MaxAccountId; a++)
                if (exchange.AccountExists(a)) equity += exchange.Equity(a);
            lines.Add(new LineState(step.Line, step.Verb, exchange.Insurance, exchange.Fees, exchange.ExchangeLedger, equity));
        });
        var liquidations = Liquidations(result);

        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append($"<title>{Encode(title)}: scenario report</title>\n<style>")
            .Append("body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222}")
            .Append("table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px}")
            .Append("td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f0f0f0;text-align:left}")
            .Append("h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:2em}.ok{color:#0a0}.bad{color:#c00;font-weight:bold}")
            .Append("img{max-width:100%}</style></head><body>\n")
            .Append($"<h1>{Encode(title)}</h1>\n");
        Overview(html, result, liquidations);
        Ledgers(html, result, lines);
        LiquidationTable(html, result, liquidations);
        AdlQueues(html, result, liquidations);
        Haircuts(html, result);
        html.Append("</body></html>\n");

        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "index.html");
        File.WriteAllText(path, html.ToString());
        return path;
    }

    private static void Overview(StringBuilder html, ScenarioResult r, List<LiquidationRecord> liquidations)
    {
        var s = r.Scenario;
        var c = r.Conservation;
        html.Append($"<p>{s.Steps.Count} command lines, {r.Accounts.Count} accounts, {s.Instruments.Count} instruments, ")
            .Append($"loss policy <b>{(s.Policy == Core.LossPolicy.Socialize ? "socialize" : "adl")}</b>, money in units of ")
            .Append($"10<sup>-{s.Decimals}</sup>. {liquidations.Count} liquidations, ")
            .Append($"{liquidations.Sum(l => l.Adl.Count)} ADL closures, {liquidations.Sum(l => l.Haircuts.Count)} haircuts.</p>\n")
            .Append("<table><tr><th>ledger</th><th>at the end</th></tr>\n")
            .Append($"<tr><td>insurance</td><td class=\"n\">{s.FormatMoney(r.Exchange.Insurance)}</td></tr>\n")
            .Append($"<tr><td>fees</td><td class=\"n\">{s.FormatMoney(r.Exchange.Fees)}</td></tr>\n")
            .Append($"<tr><td>exchange</td><td class=\"n\">{s.FormatMoney(r.Exchange.ExchangeLedger)}</td></tr></table>\n")
            .Append("<p>Conservation (RULEBOOK section 2): balances − costs + insurance + fees + exchange = ")
            .Append($"{s.FormatMoney(c.Left)}; deposits − withdrawals = {s.FormatMoney(c.Right)}; net position per instrument zero: ")
            .Append(c.PositionsNet ? "yes" : "no").Append(c.Ok ? " — <span class=\"ok\">holds</span>" : " — <span class=\"bad\">VIOLATED</span>")
            .Append(".</p>\n");
    }

    private static void Ledgers(StringBuilder html, ScenarioResult r, List<LineState> lines)
    {
        var s = r.Scenario;
        var unit = Math.Pow(10, s.Decimals);
        double[] xs = [.. lines.Select(l => (double)l.Line)];
        html.Append("<h2>Ledgers and equity, line by line</h2>\n");

        var ledgers = new Plot();
        Series(ledgers, xs, [.. lines.Select(l => l.Insurance / unit)], "insurance fund");
        Series(ledgers, xs, [.. lines.Select(l => l.Fees / unit)], "fees");
        Series(ledgers, xs, [.. lines.Select(l => l.Exchange / unit)], "exchange ledger");
        ledgers.Title("System ledgers after each line");
        Image(html, ledgers, "the insurance fund, fee and exchange ledgers after each scenario line");

        var equity = new Plot();
        Series(equity, xs, [.. lines.Select(l => (double)l.Equity / unit)], "total equity of the accounts");
        equity.Title("Total equity of the accounts after each line");
        Image(html, equity, "the accounts' total equity after each scenario line");

        html.Append("<table><tr><th>line</th><th>command</th><th>insurance</th><th>fees</th><th>exchange</th><th>total equity</th></tr>\n");
        foreach (var l in lines)
            html.Append($"<tr><td class=\"n\">{l.Line}</td><td>{Encode(l.Verb)}</td><td class=\"n\">{s.FormatMoney(l.Insurance)}</td>")
                .Append($"<td class=\"n\">{s.FormatMoney(l.Fees)}</td><td class=\"n\">{s.FormatMoney(l.Exchange)}</td>")
                .Append($"<td class=\"n\">{s.FormatMoney((BigInteger)l.Equity)}</td></tr>\n");
        html.Append("</table>\n");
    }

    private static void LiquidationTable(StringBuilder html, ScenarioResult r, List<LiquidationRecord> liquidations)
    {
        var s = r.Scenario;
        html.Append("<h2>Liquidations and how each loss was covered</h2>\n");
        if (liquidations.Count == 0)
        {
            html.Append("<p>No account was liquidated.</p>\n");
            return;
        }
        html.Append("<table><tr><th>line</th><th>account</th><th>equity / MM at start</th><th>orders cancelled</th>")
            .Append("<th>book (fills, lots)</th><th>fee to insurance</th><th>insurance paid</th><th>ADL (closures, lots)</th>")
            .Append("<th>haircuts</th><th>exchange loss</th><th>outcome</th></tr>\n");
        foreach (var l in liquidations)
        {
            var book = string.Join(", ", l.BookLots.GroupBy(b => b.Instrument)
                .Select(g => $"{s.FormatQty(g.Key, g.Sum(b => b.Lots))} {s.Instruments[g.Key].Name}"));
            var adl = string.Join(", ", l.Adl.GroupBy(a => a.Instrument)
                .Select(g => $"{s.FormatQty(g.Key, g.Sum(a => a.Lots))} {s.Instruments[g.Key].Name}"));
            html.Append($"<tr><td class=\"n\">{l.Line}</td><td>{Encode(r.AccountName(l.Account))}</td>")
                .Append($"<td class=\"n\">{s.FormatMoney(l.Equity)} / {s.FormatMoney(l.Maintenance)}</td><td class=\"n\">{l.OrdersCancelled}</td>")
                .Append($"<td>{l.BookFills}{(book.Length > 0 ? ": " + Encode(book) : "")}</td>")
                .Append($"<td class=\"n\">{s.FormatMoney(l.LiquidationFees)}</td><td class=\"n\">{s.FormatMoney(l.InsurancePaid)}</td>")
                .Append($"<td>{l.Adl.Count}{(adl.Length > 0 ? ": " + Encode(adl) : "")}</td>")
                .Append($"<td class=\"n\">{s.FormatMoney(l.HaircutTotal)}{(l.Haircuts.Count > 0 ? $" ({l.Haircuts.Count})" : "")}</td>")
                .Append($"<td class=\"n\">{s.FormatMoney(l.ExchangeLoss)}</td>")
                .Append($"<td>{(l.Cured ? "cured by cancelling orders" : "closed")}, balance {s.FormatMoney(l.FinalBalance)}</td></tr>\n");
        }
        html.Append("</table>\n");
    }

    private static void AdlQueues(StringBuilder html, ScenarioResult r, List<LiquidationRecord> liquidations)
    {
        var s = r.Scenario;
        html.Append("<h2>The ADL queue at each deleverage</h2>\n");
        var any = false;
        foreach (var l in liquidations)
        {
            if (l.Adl.Count == 0) continue;
            any = true;
            html.Append($"<h3>Line {l.Line}: {Encode(r.AccountName(l.Account))}</h3>\n")
                .Append("<p>Counterparties in the order the queue took them (highest score first, RULEBOOK section 8).</p>\n")
                .Append("<table><tr><th>#</th><th>counterparty</th><th>instrument</th><th>lots closed</th><th>price</th><th>quote</th></tr>\n");
            for (var i = 0; i < l.Adl.Count; i++)
            {
                var a = l.Adl[i];
                html.Append($"<tr><td class=\"n\">{i + 1}</td><td>{Encode(r.AccountName(a.Counterparty))}</td><td>{Encode(s.Instruments[a.Instrument].Name)}</td>")
                    .Append($"<td class=\"n\">{s.FormatQty(a.Instrument, a.Lots)}</td><td class=\"n\">{s.FormatPrice(a.Instrument, a.Price)}</td>")
                    .Append($"<td class=\"n\">{s.FormatMoney(a.Quote)}</td></tr>\n");
            }
            html.Append("</table>\n");
        }
        if (!any) html.Append("<p>No position was deleveraged.</p>\n");
    }

    private static void Haircuts(StringBuilder html, ScenarioResult r)
    {
        var s = r.Scenario;
        var perAccount = new SortedDictionary<int, (long Amount, int Count)>();
        foreach (var se in r.Events)
        {
            if (se.Event.Type != EventType.Haircut) continue;
            var (amount, count) = perAccount.GetValueOrDefault(se.Event.AccountId);
            perAccount[se.Event.AccountId] = (amount + se.Event.Amount, count + 1);
        }
        html.Append("<h2>Haircuts per account</h2>\n");
        if (perAccount.Count == 0)
        {
            html.Append("<p>No loss was socialized.</p>\n");
            return;
        }
        html.Append("<table><tr><th>account</th><th>haircuts</th><th>total paid</th></tr>\n");
        foreach (var (account, (amount, count)) in perAccount)
            html.Append($"<tr><td>{Encode(r.AccountName(account))}</td><td class=\"n\">{count}</td><td class=\"n\">{s.FormatMoney(amount)}</td></tr>\n");
        html.Append("</table>\n");
    }

    /// <summary>Each liquidation's events, framed by LiquidationStarted and LiquidationEnded of its account.</summary>
    internal static List<LiquidationRecord> Liquidations(ScenarioResult r)
    {
        var list = new List<LiquidationRecord>();
        LiquidationRecord? open = null;
        foreach (var se in r.Events)
        {
            var e = se.Event;
            if (e.Type == EventType.LiquidationStarted)
            {
                open = new LiquidationRecord(se.Step.Line, e.AccountId, e.Amount, e.Amount2);
                list.Add(open);
                continue;
            }
            if (open is null) continue;
            switch (e.Type)
            {
                case EventType.OrderCancelled when e.AccountId == open.Account && e.CancelReason == CancelReason.Liquidation:
                    open.OrdersCancelled++;
                    break;
                case EventType.Trade when (e.Flags & EventFlags.Liquidation) != 0 && e.AccountId == open.Account:
                    open.BookFills++;
                    open.BookLots.Add((e.InstrumentId, e.Quantity));
                    break;
                case EventType.LiquidationFee when e.AccountId == open.Account:
                    open.LiquidationFees += e.Amount;
                    break;
                case EventType.InsurancePayment when e.AccountId == open.Account:
                    open.InsurancePaid += e.Amount;
                    break;
                case EventType.AdlClosure when e.AccountId == open.Account:
                    open.Adl.Add((e.CounterpartyId, e.InstrumentId, e.Quantity, e.Price, e.Quote));
                    break;
                case EventType.Haircut when e.CounterpartyId == open.Account:
                    open.Haircuts.Add((e.AccountId, e.Amount));
                    break;
                case EventType.ExchangeLoss when e.AccountId == open.Account:
                    open.ExchangeLoss += e.Amount;
                    break;
                case EventType.LiquidationEnded when e.AccountId == open.Account:
                    open.Cured = (e.Flags & EventFlags.Cured) != 0;
                    open.FinalBalance = e.Amount;
                    open = null;
                    break;
            }
        }
        return list;
    }

    private static void Series(Plot plot, double[] xs, double[] ys, string label)
    {
        var line = plot.Add.ScatterLine(xs, ys);
        line.LegendText = label;
        line.LineWidth = 2;
        plot.XLabel("scenario line");
        plot.YLabel("collateral");
        plot.ShowLegend(Alignment.UpperRight);
    }

    private static void Image(StringBuilder html, Plot plot, string alt) =>
        html.Append($"<p><img alt=\"{Encode(alt)}\" width=\"{Width}\" src=\"data:image/png;base64,")
            .Append(Convert.ToBase64String(plot.GetImageBytes(Width, Height, ImageFormat.Png)))
            .Append("\"></p>\n");

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private readonly record struct LineState(int Line, string Verb, long Insurance, long Fees, long Exchange, Int128 Equity);
}
