using System.Numerics;
using Exchange.Core.Book;
using Exchange.Core.Commands;
using Exchange.Core.Instruments;
using CoreExchange = Exchange.Core.Exchange;

namespace Exchange.Testing;

/// <summary>
/// A plain copy of everything observable about an exchange, taken from the fast core through its public queries or
/// from the reference model, so that one invariant checker and one comparer serve both.
/// </summary>
public sealed class ExchangeSnapshot
{
    public required IReadOnlyList<InstrumentSpec> Specs { get; init; }
    public required IReadOnlyList<long> Marks { get; init; }
    public required IReadOnlyList<AccountSnapshot> Accounts { get; init; }
    public required BigInteger Insurance { get; init; }
    public required BigInteger Fees { get; init; }
    public required BigInteger ExchangeLedger { get; init; }
    public required BigInteger Deposits { get; init; }
    public required BigInteger Withdrawals { get; init; }
    public required long LastOrderId { get; init; }
    public required long LastTradeId { get; init; }
    /// <summary>Per instrument, per side (index = (int)Side): resting orders in priority order.</summary>
    public required IReadOnlyList<IReadOnlyList<OrderView>[]> Books { get; init; }
    /// <summary>Per instrument, per side: aggregated levels, best first.</summary>
    public required IReadOnlyList<IReadOnlyList<BookLevel>[]> Levels { get; init; }

    public static ExchangeSnapshot Of(CoreExchange core)
    {
        var n = core.InstrumentCount;
        var accounts = new List<AccountSnapshot>();
        for (var a = 1; a <= core.MaxAccountId; a++)
        {
            if (!core.AccountExists(a)) continue;
            accounts.Add(new AccountSnapshot(a, core.Balance(a),
                Enumerable.Range(0, n).Select(i => (BigInteger)core.PositionQty(a, i)).ToArray(),
                Enumerable.Range(0, n).Select(i => (BigInteger)core.PositionCost(a, i)).ToArray(),
                Enumerable.Range(0, n).Select(i => (BigInteger)core.OpenBuyLots(a, i)).ToArray(),
                Enumerable.Range(0, n).Select(i => (BigInteger)core.OpenSellLots(a, i)).ToArray(),
                core.OrdersOf(a), core.FreeMargin(a)));
        }
        var levels = new List<IReadOnlyList<BookLevel>[]>();
        for (var i = 0; i < n; i++)
            levels.Add([CoreLevels(core, i, Side.Buy), CoreLevels(core, i, Side.Sell)]);
        return new ExchangeSnapshot
        {
            Specs = Enumerable.Range(0, n).Select(core.Instrument).ToList(),
            Marks = Enumerable.Range(0, n).Select(core.Mark).ToList(),
            Accounts = accounts,
            Insurance = core.Insurance,
            Fees = core.Fees,
            ExchangeLedger = core.ExchangeLedger,
            Deposits = core.Deposits,
            Withdrawals = core.Withdrawals,
            LastOrderId = core.LastOrderId,
            LastTradeId = core.LastTradeId,
            Books = Enumerable.Range(0, n)
                .Select(i => new IReadOnlyList<OrderView>[] { core.OrdersInBook(i, Side.Buy), core.OrdersInBook(i, Side.Sell) })
                .ToList(),
            Levels = levels,
        };
    }

    private static List<BookLevel> CoreLevels(CoreExchange core, int instrument, Side side)
    {
        var buffer = new BookLevel[Math.Max(16, core.OpenOrderCount + 1)];
        var count = core.Depth(instrument, side, buffer);
        return buffer.Take(count).ToList();
    }

    public static ExchangeSnapshot Of(ReferenceExchange model)
    {
        var n = model.Instruments.Count;
        var accounts = model.Accounts.Select(x =>
        {
            var orders = model.OrdersOf(x.Id);
            return new AccountSnapshot(x.Id, x.Balance,
                Enumerable.Range(0, n).Select(i => x.Position(i).Qty).ToArray(),
                Enumerable.Range(0, n).Select(i => x.Position(i).Cost).ToArray(),
                Enumerable.Range(0, n).Select(i => Lots(orders, i, Side.Buy)).ToArray(),
                Enumerable.Range(0, n).Select(i => Lots(orders, i, Side.Sell)).ToArray(),
                orders.Select(View).ToList(), model.FreeMargin(x.Id));
        }).ToList();
        var books = new List<IReadOnlyList<OrderView>[]>();
        var levels = new List<IReadOnlyList<BookLevel>[]>();
        for (var i = 0; i < n; i++)
        {
            var bids = model.Book(i, Side.Buy).Select(View).ToList();
            var asks = model.Book(i, Side.Sell).Select(View).ToList();
            books.Add([bids, asks]);
            levels.Add([Aggregate(bids), Aggregate(asks)]);
        }
        return new ExchangeSnapshot
        {
            Specs = model.Instruments.Select(x => x.Spec).ToList(),
            Marks = model.Instruments.Select(x => x.Mark).ToList(),
            Accounts = accounts,
            Insurance = model.Insurance,
            Fees = model.Fees,
            ExchangeLedger = model.ExchangeLedger,
            Deposits = model.Deposits,
            Withdrawals = model.Withdrawals,
            LastOrderId = model.LastOrderId,
            LastTradeId = model.LastTradeId,
            Books = books,
            Levels = levels,
        };
    }

    private static BigInteger Lots(List<RefOrder> orders, int instrument, Side side) =>
        orders.Where(o => o.InstrumentId == instrument && o.Side == side).Aggregate(BigInteger.Zero, (s, o) => s + o.Remaining);

    private static List<BookLevel> Aggregate(List<OrderView> orders)
    {
        var levels = new List<BookLevel>();
        foreach (var o in orders)
        {
            if (levels.Count > 0 && levels[^1].Price == o.Price) levels[^1] = levels[^1] with { Lots = levels[^1].Lots + o.Remaining };
            else levels.Add(new BookLevel(o.Price, o.Remaining));
        }
        return levels;
    }

    private static OrderView View(RefOrder o) =>
        new(o.Id, o.ClientOrderId, o.AccountId, o.InstrumentId, o.Side, o.Price, o.Remaining, o.Stp, o.PostOnly);
}
