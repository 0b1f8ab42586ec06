using System.Numerics;
using Exchange.Core.Events;

namespace Exchange.Gateway.Scenarios;

/// <summary>
/// The human-readable form of a run (<c>--summary</c>): accounts with their positions, the ledgers, the conservation
/// check and what the loss waterfall did (liquidations, ADL closures, haircuts, insurance flows, exchange loss).
/// </summary>
internal static class ScenarioSummaryWriter
{
    public static void Write(ScenarioResult r, TextWriter o)
    {
        var s = r.Scenario;
        var x = r.Exchange;
        var header = new List<string> { "account", "id", "balance", "equity" };
        foreach (var ins in s.Instruments) header.AddRange([ins.Name + " qty", "cost", "upnl"]);
        var rows = new List<string[]> { header.ToArray() };
        for (var a = 1; a <= r.Accounts.Count; a++)
        {
            var row = new List<string> { r.Accounts[a - 1], a.ToString(), s.FormatMoney(x.Balance(a)), s.FormatMoney(x.Equity(a)) };
            for (var i = 0; i < s.Instruments.Count; i++)
                row.AddRange([s.FormatQty(i, x.PositionQty(a, i)), s.FormatMoney(x.PositionCost(a, i)), s.FormatMoney(x.Upnl(a, i))]);
            rows.Add(row.ToArray());
        }
        WriteTable(o, rows, rightAlign: true);

        o.WriteLine();
        WriteTable(o, rightAlign: true, rows:
        [
            ["ledger", "balance"],
            ["insurance", s.FormatMoney(x.Insurance)],
            ["fees", s.FormatMoney(x.Fees)],
            ["exchange", s.FormatMoney(x.ExchangeLedger)],
        ]);

        var c = r.Conservation;
        o.WriteLine();
        o.WriteLine($"conservation: balances - costs + insurance + fees + exchange = {s.FormatMoney(c.Left)}; " +
                    $"deposits - withdrawals = {s.FormatMoney(c.Right)}; sum(q) == 0 per instrument: " +
                    $"{(c.PositionsNet ? "yes" : "NO")}; {(c.Ok ? "ok" : "VIOLATED")}");

        int liquidations = 0, cured = 0, adl = 0, haircuts = 0, trades = 0, liquidationFills = 0, rejected = 0;
        BigInteger haircutTotal = 0, insurancePaid = 0, liquidationFees = 0, dust = 0, insuranceDeposits = 0, loss = 0;
        foreach (var se in r.Events)
        {
            var e = se.Event;
            switch (e.Type)
            {
                case EventType.Rejected: rejected++; break;
                case EventType.Trade:
                    trades++;
                    if ((e.Flags & EventFlags.Liquidation) != 0) liquidationFills++;
                    break;
                case EventType.LiquidationStarted: liquidations++; break;
                case EventType.LiquidationEnded: if ((e.Flags & EventFlags.Cured) != 0) cured++; break;
                case EventType.AdlClosure: adl++; break;
                case EventType.Haircut: haircuts++; haircutTotal += e.Amount; break;
                case EventType.InsurancePayment: insurancePaid += e.Amount; break;
                case EventType.LiquidationFee: liquidationFees += e.Amount; break;
                case EventType.FundingDust: dust += e.Amount; break;
                case EventType.Deposited: if (e.AccountId == 0) insuranceDeposits += e.Amount; break;
                case EventType.ExchangeLoss: loss += e.Amount; break;
            }
        }
        o.WriteLine();
        WriteTable(o, rightAlign: false, rows:
        [
            ["events", r.Events.Count.ToString()],
            ["rejected commands", rejected.ToString()],
            ["trades", $"{trades} ({liquidationFills} liquidation fills)"],
            ["liquidations", $"{liquidations} ({cured} cured by cancelling orders)"],
            ["ADL closures", adl.ToString()],
            ["haircuts", $"{haircuts}, total {s.FormatMoney(haircutTotal)}"],
            ["insurance deposited", s.FormatMoney(insuranceDeposits)],
            ["insurance received", $"{s.FormatMoney(liquidationFees + dust)} (liquidation fees {s.FormatMoney(liquidationFees)}, funding dust {s.FormatMoney(dust)})"],
            ["insurance paid", s.FormatMoney(insurancePaid)],
            ["exchange loss", s.FormatMoney(loss)],
        ]);
    }

    private static void WriteTable(TextWriter o, List<string[]> rows, bool rightAlign)
    {
        var widths = new int[rows.Max(row => row.Length)];
        foreach (var row in rows)
            for (var i = 0; i < row.Length; i++) widths[i] = Math.Max(widths[i], row[i].Length);
        foreach (var row in rows)
        {
            // The first column is a label; figures are right-aligned so that their decimal points line up.
            var cells = new string[row.Length];
            for (var i = 0; i < row.Length; i++)
                cells[i] = i > 0 && rightAlign ? row[i].PadLeft(widths[i]) : row[i].PadRight(widths[i]);
            o.WriteLine(string.Join("  ", cells).TrimEnd());
        }
    }
}
