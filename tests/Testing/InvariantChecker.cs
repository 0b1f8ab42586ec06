using System.Numerics;
using Exchange.Core.Commands;
using static Exchange.Testing.Exact;
using CoreExchange = Exchange.Core.Exchange;

namespace Exchange.Testing;

/// <summary>
/// The state invariants of RULEBOOK section 9, checked from the outside with exact arithmetic: conservation to the
/// unit, sum(q) == 0, insurance &gt;= 0, exchange &lt;= 0, nobody left liquidatable, flat accounts not in debt, books
/// uncrossed and in price order, and the per-account order bookkeeping.
/// </summary>
public static class InvariantChecker
{
    /// <summary>Throws <see cref="InvariantViolationException"/> listing every broken invariant of the core.</summary>
    public static void Check(CoreExchange core) => Throw(Violations(core));

    /// <summary>The same as <see cref="Check(CoreExchange)"/>, the name integration tests end with.</summary>
    public static void AssertHolds(CoreExchange core) => Check(core);

    public static void Check(ReferenceExchange model) => Check(ExchangeSnapshot.Of(model));

    public static void Check(ExchangeSnapshot snapshot) => Throw(Violations(snapshot));

    public static List<string> Violations(CoreExchange core)
    {
        var snapshot = ExchangeSnapshot.Of(core);
        var found = Violations(snapshot);
        // The core's own answers must agree with the exact recomputation.
        foreach (var a in snapshot.Accounts)
        {
            if (core.IsLiquidatable(a.Id) != IsLiquidatable(snapshot, a))
                found.Add($"account {a.Id}: core.IsLiquidatable says {core.IsLiquidatable(a.Id)}, E={Equity(snapshot, a)} MM={Maintenance(snapshot, a)}");
            if (core.Equity(a.Id) != Equity(snapshot, a)) found.Add($"account {a.Id}: core.Equity {core.Equity(a.Id)} != {Equity(snapshot, a)}");
            if (core.MaintenanceMargin(a.Id) != Maintenance(snapshot, a))
                found.Add($"account {a.Id}: core.MaintenanceMargin {core.MaintenanceMargin(a.Id)} != {Maintenance(snapshot, a)}");
            if (core.Margin.SumsMismatch(a.Id) is { } sums) found.Add(sums);
            if (core.OpenOrders(a.Id) != a.Orders.Count) found.Add($"account {a.Id}: OpenOrders {core.OpenOrders(a.Id)} != {a.Orders.Count} listed");
        }
        if (core.Index.HeapMismatch() is { } heaps) found.Add(heaps);
        var listed = snapshot.Accounts.Sum(a => a.Orders.Count);
        if (core.OpenOrderCount != listed) found.Add($"OpenOrderCount {core.OpenOrderCount} != {listed} orders listed by accounts");
        return found;
    }

    public static List<string> Violations(ExchangeSnapshot s)
    {
        var found = new List<string>();
        var n = s.Specs.Count;

        // 1. Conservation, to the unit.
        var left = s.Accounts.Aggregate(BigInteger.Zero, (sum, a) => sum + a.Balance - a.Cost.Aggregate(BigInteger.Zero, (c, x) => c + x))
                   + s.Insurance + s.Fees + s.ExchangeLedger;
        if (left != s.Deposits - s.Withdrawals)
            found.Add($"conservation: sum(balance) - sum(C) + insurance + fees + exchange = {left} != deposits - withdrawals = {s.Deposits - s.Withdrawals}");

        // 2. sum(q) == 0 per instrument; a flat position has no cost basis.
        for (var i = 0; i < n; i++)
        {
            var total = s.Accounts.Aggregate(BigInteger.Zero, (sum, a) => sum + a.Qty[i]);
            if (total != 0) found.Add($"instrument {i}: sum(q) = {total}");
        }
        foreach (var a in s.Accounts)
            for (var i = 0; i < n; i++)
                if (a.Qty[i] == 0 && a.Cost[i] != 0) found.Add($"account {a.Id} instrument {i}: flat with cost basis {a.Cost[i]}");

        // 3. Ledgers.
        if (s.Insurance < 0) found.Add($"insurance is negative: {s.Insurance}");
        if (s.ExchangeLedger > 0) found.Add($"exchange ledger is positive: {s.ExchangeLedger}");

        // 4. Nobody left liquidatable; a flat account is not in debt.
        foreach (var a in s.Accounts)
        {
            if (IsLiquidatable(s, a)) found.Add($"account {a.Id} left liquidatable: E={Equity(s, a)} < MM={Maintenance(s, a)}");
            if (a.Qty.All(q => q == 0) && a.Balance < 0) found.Add($"account {a.Id} is flat with a negative balance {a.Balance}");
        }

        // 5. Books: uncrossed, levels strictly in price order, orders grouped by level with matching totals.
        for (var i = 0; i < n; i++)
        {
            CheckSide(s, i, Side.Buy, found);
            CheckSide(s, i, Side.Sell, found);
            var bids = s.Levels[i][(int)Side.Buy];
            var asks = s.Levels[i][(int)Side.Sell];
            if (bids.Count > 0 && asks.Count > 0 && bids[0].Price >= asks[0].Price)
                found.Add($"instrument {i}: book crossed, best bid {bids[0].Price} >= best ask {asks[0].Price}");
        }

        // 6. Order bookkeeping: each account's list is the book's orders of that account, oldest first, with lots
        // matching its open-lot counters and client ids unique.
        var inBooks = s.Books.SelectMany(sides => sides.SelectMany(x => x)).ToList();
        foreach (var a in s.Accounts)
        {
            var mine = inBooks.Where(o => o.AccountId == a.Id).OrderBy(o => o.OrderId).ToList();
            if (!mine.SequenceEqual(a.Orders))
                found.Add($"account {a.Id}: its order list [{string.Join(", ", a.Orders.Select(o => o.OrderId))}] != its orders in the books [{string.Join(", ", mine.Select(o => o.OrderId))}]");
            for (var i = 0; i < n; i++)
            {
                var buy = a.Orders.Where(o => o.InstrumentId == i && o.Side == Side.Buy).Aggregate(BigInteger.Zero, (x, o) => x + o.Remaining);
                var sell = a.Orders.Where(o => o.InstrumentId == i && o.Side == Side.Sell).Aggregate(BigInteger.Zero, (x, o) => x + o.Remaining);
                if (buy != a.BuyLots[i] || sell != a.SellLots[i])
                    found.Add($"account {a.Id} instrument {i}: open lots buy {a.BuyLots[i]} sell {a.SellLots[i]}, orders hold buy {buy} sell {sell}");
            }
            var duplicate = a.Orders.Where(o => o.ClientOrderId != 0).GroupBy(o => o.ClientOrderId).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null) found.Add($"account {a.Id}: client order id {duplicate.Key} used by {duplicate.Count()} open orders");
        }
        var known = s.Accounts.Select(a => a.Id).ToHashSet();
        foreach (var o in inBooks.Where(o => !known.Contains(o.AccountId))) found.Add($"order {o.OrderId} belongs to unknown account {o.AccountId}");
        return found;
    }

    private static void CheckSide(ExchangeSnapshot s, int instrument, Side side, List<string> found)
    {
        var orders = s.Books[instrument][(int)side];
        var levels = s.Levels[instrument][(int)side];
        // Bids descend, asks ascend: "better" means strictly before in the book.
        bool Before(long a, long b) => side == Side.Buy ? a > b : a < b;
        for (var l = 1; l < levels.Count; l++)
            if (!Before(levels[l - 1].Price, levels[l].Price))
                found.Add($"instrument {instrument} {side}: level {levels[l - 1].Price} is not strictly better than {levels[l].Price}");
        var idx = 0;
        foreach (var level in levels)
        {
            BigInteger total = 0;
            while (idx < orders.Count && orders[idx].Price == level.Price) total += orders[idx++].Remaining;
            if (total != level.Lots) found.Add($"instrument {instrument} {side}: level {level.Price} shows {level.Lots} lots, its orders hold {total}");
        }
        if (idx != orders.Count) found.Add($"instrument {instrument} {side}: orders out of price order or outside every level (at {orders[idx]})");
        foreach (var o in orders)
        {
            if (o.Remaining <= 0) found.Add($"instrument {instrument} {side}: order {o.OrderId} rests with {o.Remaining} lots");
            if (o.Side != side || o.InstrumentId != instrument) found.Add($"order {o.OrderId} rests in the wrong book ({instrument} {side})");
        }
    }

    public static BigInteger Equity(ExchangeSnapshot s, AccountSnapshot a)
    {
        var e = a.Balance;
        for (var i = 0; i < s.Specs.Count; i++) e += a.Qty[i] * s.Marks[i] * s.Specs[i].TickValue - a.Cost[i];
        return e;
    }

    public static BigInteger Maintenance(ExchangeSnapshot s, AccountSnapshot a)
    {
        BigInteger mm = 0;
        for (var i = 0; i < s.Specs.Count; i++)
            mm += Ceil(BigInteger.Abs(a.Qty[i]) * s.Marks[i] * s.Specs[i].TickValue * s.Specs[i].MmrPpm, Million);
        return mm;
    }

    public static bool IsLiquidatable(ExchangeSnapshot s, AccountSnapshot a) =>
        a.Qty.Any(q => q != 0) ? Equity(s, a) < Maintenance(s, a) : a.Balance < 0;

    private static void Throw(List<string> violations)
    {
        if (violations.Count > 0) throw new InvariantViolationException("invariants broken:\n  " + string.Join("\n  ", violations));
    }
}
