using Exchange.Core.Commands;
using Exchange.Core.Instruments;
using Exchange.Core.Tests.Support;

namespace Exchange.Core.Tests.Performance;

/// <summary>
/// The hot path allocates nothing once warmed up: a replayed workload of resting orders, amends, cancels, crossing
/// takers, mark moves and funding leaves <see cref="GC.GetAllocatedBytesForCurrentThread"/> unchanged.
/// </summary>
public class AllocationTests
{
    private static InstrumentSpec Spec => new()
    {
        Name = "BTC-PERP", TickValue = 500, ImrPpm = 100_000, MmrPpm = 50_000, MakerFeePpm = -100, TakerFeePpm = 500,
        LiquidationFeePpm = 10_000, BandPpm = 100_000, LiquidationBandPpm = 75_000,
        MaxPrice = 10_000_000, MaxOrderLots = 1_000_000, MaxPositionLots = 10_000_000,
    };

    private static Command[] Workload(int accounts, int rounds)
    {
        var list = new List<Command>();
        var rng = new Random(42);
        long orderId = 0;
        var open = new List<(int Account, long Id)>();
        for (var r = 0; r < rounds; r++)
        {
            var a = 1 + rng.Next(accounts);
            var side = rng.Next(2) == 0 ? Side.Buy : Side.Sell;
            switch (rng.Next(10))
            {
                case < 5:
                    // Resting orders away from the touch, and occasional crossing ones.
                    var offset = rng.Next(1, 200);
                    var price = side == Side.Buy ? 120_000 - offset : 120_000 + offset;
                    if (rng.Next(4) == 0) price = side == Side.Buy ? 120_300 : 119_700;
                    list.Add(Command.Limit(a, 0, side, price, 1 + rng.Next(20), clientOrderId: rng.Next(2) == 0 ? 0 : r + 1));
                    open.Add((a, ++orderId)); // ids are sequential; a crossing order that fully fills is simply unknown later
                    break;
                case 5 or 6 when open.Count > 0:
                    var (acc, id) = open[rng.Next(open.Count)];
                    list.Add(Command.AmendOrder(acc, id, 0, 1 + rng.Next(5)));
                    break;
                case 7 when open.Count > 0:
                    var i = rng.Next(open.Count);
                    list.Add(Command.CancelOrder(open[i].Account, open[i].Id));
                    open.RemoveAt(i);
                    break;
                case 8:
                    list.Add(Command.Mark(0, 120_000 + rng.Next(-50, 50)));
                    break;
                default:
                    list.Add(Command.Market(a, 0, side, 1 + rng.Next(5)));
                    break;
            }
        }
        list.Add(Command.FundingAt(0, 10));
        return list.ToArray();
    }

    [Fact]
    public void WarmedUpWorkload_AllocatesZeroBytes()
    {
        const int accounts = 200;
        var x = new Exchange(new ExchangeOptions { AccountCapacity = 1024, OrderCapacity = 1 << 16 });
        x.AddInstrument(Spec);
        for (var a = 1; a <= accounts; a++) x.Apply(Command.DepositTo(a, 1_000_000_000_000));
        x.Apply(Command.Mark(0, 120_000));
        // One workload, so the measured part amends and cancels orders the warm-up part placed.
        var workload = Workload(accounts, 50_000);
        foreach (ref readonly var c in workload.AsSpan(0, 20_000)) x.Apply(in c);
        var part = 0;
        long events = 0;
        var allocated = Allocations.Fewest(() =>
        {
            part++;
            foreach (ref readonly var c in workload.AsSpan(10_000 + part * 10_000, 10_000)) events += x.Apply(in c).Length;
        });

        Assert.True(events > 10_000, "the workload produced events");
        Assert.True(x.LastTradeId > 1000, "the workload traded");
        Assert.Equal(0, allocated);
    }

    /// <summary>The token check too: every command tokened (traders by account, marks and funding by a feed space), and
    /// every tenth one a resend of an earlier command, answered as a duplicate or stale.</summary>
    [Fact]
    public void WarmedUpTokenedWorkload_WithResends_AllocatesZeroBytes()
    {
        const int accounts = 200;
        var x = new Exchange(new ExchangeOptions { AccountCapacity = 1024, OrderCapacity = 1 << 16 });
        x.AddInstrument(Spec);
        for (var a = 1; a <= accounts; a++) x.Apply(Command.DepositTo(a, 1_000_000_000_000));
        x.Apply(Command.Mark(0, 120_000));
        var plain = Workload(accounts, 50_000);
        var tokens = new uint[accounts + 2];
        var workload = new Command[plain.Length];
        for (var i = 0; i < plain.Length; i++)
        {
            var c = plain[i];
            c.Origin = c.AccountId > 0 ? (uint)c.AccountId : 0x8000_0001u;
            var slot = c.AccountId > 0 ? c.AccountId : accounts + 1;
            c.Token = i % 10 == 9 && i > 100 ? workload[i - 1 - i % 97].Token : ++tokens[slot];
            if (i % 10 == 9 && i > 100) c = workload[i - 1 - i % 97];
            c.Sequence = i + 1;
            workload[i] = c;
        }
        foreach (ref readonly var c in workload.AsSpan(0, 20_000)) x.Apply(in c);
        var part = 0;
        long duplicates = 0;
        var allocated = Allocations.Fewest(() =>
        {
            part++;
            foreach (ref readonly var c in workload.AsSpan(10_000 + part * 10_000, 10_000))
                foreach (ref readonly var e in x.Apply(in c))
                    if (e.Type == Core.Events.EventType.Duplicate) duplicates++;
        });

        Assert.True(duplicates > 100, "the resends were duplicates");
        Assert.Equal(0, allocated);
    }
}
