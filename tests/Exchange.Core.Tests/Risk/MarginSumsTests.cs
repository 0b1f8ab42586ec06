using System.Numerics;
using Exchange.Core.Book;
using Exchange.Core.Commands;
using Exchange.Core.Tests.Support;
using Exchange.Testing;
using static Exchange.Testing.Exact;

namespace Exchange.Core.Tests.Risk;

/// <summary>
/// The accounts' cached margin sums (<see cref="Accounts.MarginSums"/>) against the pass they replace: after every
/// command of a random run over three books (orders that rest and trade, amends that keep or lose priority, cancels,
/// mark moves, liquidations), every account's sums equal a rebuild from scratch, and the pre-trade free margin, with a
/// random extra order and a random resting order excluded, equals an exact recomputation from the public state.
/// </summary>
public class MarginSumsTests
{
    private const int Accounts = 6;
    private const int Instruments = 3;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Sums_EqualTheFullPass_AfterEveryCommandOfARandomRun(int seed)
    {
        var rng = new Random(seed);
        var x = new Exchange(new ExchangeOptions { MaxInstruments = Instruments });
        var marks = new long[Instruments];
        for (var i = 0; i < Instruments; i++)
        {
            x.AddInstrument(Market.Spec($"P{i}") with { MaxPositionLots = 1_000_000 });
            marks[i] = 120_000;
        }
        long sequence = 0;
        Command Do(Command c)
        {
            c.Sequence = ++sequence;
            x.Apply(in c);
            return c;
        }
        // Small and large accounts, so margin rejects and liquidations happen along with ordinary trading.
        for (var a = 1; a <= Accounts; a++) Do(Command.DepositTo(a, (a % 3 == 0 ? 2_000 : 200_000) * Market.Usd));
        Do(Command.InsuranceDeposit(1_000_000 * Market.Usd));
        for (var i = 0; i < Instruments; i++) Do(Command.Mark(i, marks[i]));

        var checkedFree = 0;
        for (var step = 0; step < 1_500; step++)
        {
            var a = 1 + rng.Next(Accounts);
            var i = rng.Next(Instruments);
            var side = rng.Next(2) == 0 ? Side.Buy : Side.Sell;
            var price = marks[i] + rng.Next(-3_000, 3_001);
            var r = rng.Next(100);
            var open = x.OrdersOf(a);
            if (r < 5)
            {
                marks[i] = Math.Max(1_000, marks[i] + rng.Next(-4_000, 4_001));
                Do(Command.Mark(i, marks[i]));
            }
            else if (r < 40 || open.Count == 0) Do(Command.Limit(a, i, side, price, 1 + rng.Next(40)));
            else if (r < 50) Do(Command.Limit(a, i, side, price, 1 + rng.Next(40), TimeInForce.Ioc));
            else if (r < 60) Do(Command.CancelOrder(a, open[rng.Next(open.Count)].OrderId));
            else if (r < 62) Do(Command.DepositTo(a, 500 * Market.Usd));
            else
            {
                var o = open[rng.Next(open.Count)];
                // Price moves (which may cross and trade), size changes both ways, and shrinks that keep priority.
                var newPrice = rng.Next(3) == 0 ? 0 : x.Mark(o.InstrumentId) + rng.Next(-3_000, 3_001);
                var newLots = rng.Next(3) == 0 ? 0 : 1 + rng.Next(60);
                Do(Command.AmendOrder(a, o.OrderId, newPrice, newLots));
            }

            for (var b = 1; b <= Accounts; b++)
            {
                var mismatch = x.Margin.SumsMismatch(b);
                Assert.True(mismatch is null, $"step {step}: {mismatch}");
            }
            // The pre-trade check's free margin, for one account each step, with and without an extra and an excluded order.
            var c = 1 + rng.Next(Accounts);
            var orders = x.OrdersOf(c);
            var exclude = orders.Count > 0 && rng.Next(2) == 0 ? orders[rng.Next(orders.Count)] : (OrderView?)null;
            var extraInstrument = exclude is { } e && rng.Next(2) == 0 ? e.InstrumentId : rng.Next(Instruments);
            var extraLots = rng.Next(3) == 0 ? 0 : 1 + rng.Next(50);
            var extraSide = rng.Next(2) == 0 ? Side.Buy : Side.Sell;
            var extraPrice = x.Mark(extraInstrument) + rng.Next(-3_000, 3_001);
            var handle = -1;
            if (exclude is { } ex) Assert.True(x.OrderStore.TryGetById(ex.OrderId, out handle));
            var cached = x.Margin.FreeMargin(c, extraInstrument, extraSide, extraPrice, extraLots, handle);
            var exact = ExactFree(x, c, extraInstrument, extraSide, extraPrice, extraLots, exclude);
            Assert.True((BigInteger)cached == exact, $"step {step}, account {c}: free margin {cached} != exact {exact}");
            checkedFree++;
        }
        Assert.Equal(1_500, checkedFree);
        // The run did what it is for: trades, and the margin check turned orders away.
        Assert.True(x.LastTradeId > 50, $"only {x.LastTradeId} trades");
        InvariantChecker.AssertHolds(x);
    }

    /// <summary>E - sum of IM at the worst case - order loss, with the extra order counted and the excluded one not,
    /// in exact arithmetic from what the exchange shows.</summary>
    private static BigInteger ExactFree(Exchange x, int account, int extraInstrument, Side extraSide, long extraPrice,
        long extraLots, OrderView? exclude)
    {
        BigInteger free = x.Balance(account);
        for (var i = 0; i < x.InstrumentCount; i++)
        {
            var spec = x.Instrument(i);
            BigInteger q = x.PositionQty(account, i), m = x.Mark(i);
            free += q * m * spec.TickValue - x.PositionCost(account, i);
            BigInteger b = x.OpenBuyLots(account, i), s = x.OpenSellLots(account, i);
            if (exclude is { } ex && ex.InstrumentId == i)
            {
                if (ex.Side == Side.Buy) b -= ex.Remaining; else s -= ex.Remaining;
            }
            if (extraLots > 0 && extraInstrument == i)
            {
                if (extraSide == Side.Buy) b += extraLots; else s += extraLots;
            }
            var worst = Max(BigInteger.Abs(q + b), BigInteger.Abs(q - s));
            free -= Ceil(worst * m * spec.TickValue * spec.ImrPpm, Million);
        }
        foreach (var o in x.OrdersOf(account))
            if (o.OrderId != exclude?.OrderId) free -= Loss(x, o.Side, o.Price, o.Remaining, o.InstrumentId);
        if (extraLots > 0) free -= Loss(x, extraSide, extraPrice, extraLots, extraInstrument);
        return free;
    }

    private static BigInteger Loss(Exchange x, Side side, long price, long lots, int instrument)
    {
        var diff = side == Side.Buy ? price - x.Mark(instrument) : x.Mark(instrument) - price;
        return diff <= 0 ? 0 : (BigInteger)diff * lots * x.Instrument(instrument).TickValue;
    }
}
