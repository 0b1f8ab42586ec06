using BenchmarkDotNet.Attributes;
using Exchange.Core;
using Exchange.Core.Commands;
using Exchange.Core.Instruments;

namespace Exchange.Benchmarks;

/// <summary>
/// What a mark-price update costs as the population grows: N accounts each long 10 lots against one market maker,
/// 0.1% of them close to liquidation. <see cref="MarkUpdate_NoTrigger"/> moves the mark without crossing any
/// trigger (the common case: it should not grow with N); <see cref="MarkGap_LiquidatesAtRisk"/> gaps the mark so
/// the at-risk 0.1% are liquidated in the book, and the iteration setup reopens them.
/// </summary>
[MemoryDiagnoser]
public class MarkPriceBenchmarks
{
    private const long Usd = 1_000_000;
    private Exchange.Core.Exchange _x = null!;
    private int[] _atRisk = [];
    private long _sequence;
    private bool _up;

    [Params(10_000, 100_000, 1_000_000)]
    public int Accounts;

    [GlobalSetup]
    public void Setup()
    {
        _x = new Exchange.Core.Exchange(new ExchangeOptions
        {
            MaxInstruments = 1, AccountCapacity = Accounts + 2, OrderCapacity = 4096,
        });
        _x.AddInstrument(new InstrumentSpec
        {
            Name = "BTC-PERP", TickValue = 500, ImrPpm = 100_000, MmrPpm = 50_000, MakerFeePpm = 0, TakerFeePpm = 0,
            LiquidationFeePpm = 10_000, BandPpm = 100_000, LiquidationBandPpm = 75_000,
            MaxPrice = 1_000_000, MaxOrderLots = 100_000_000, MaxPositionLots = 1_000_000_000,
        });
        Do(Command.DepositTo(1, 1_000_000_000 * Usd));
        Do(Command.Mark(0, 120_000));
        Do(Command.Limit(1, 0, Side.Sell, 120_000, 10L * Accounts));
        var risky = new List<int>();
        for (var a = 2; a < Accounts + 2; a++)
        {
            // Every thousandth account deposits just above initial margin (60 USD for 10 lots); the rest 200 USD.
            var atRisk = a % 1000 == 0;
            if (atRisk) risky.Add(a);
            Do(Command.DepositTo(a, (atRisk ? 62 : 200) * Usd));
            Do(Command.Limit(a, 0, Side.Buy, 120_000, 10));
        }
        _atRisk = risky.ToArray();
        if (_x.OpenOrderCount != 0 || _x.PositionQty(1, 0) != -10L * Accounts) throw new InvalidOperationException("setup");
    }

    [Benchmark]
    public int MarkUpdate_NoTrigger()
    {
        _up = !_up;
        return Do(Command.Mark(0, _up ? 120_001 : 120_000));
    }

    [IterationSetup(Target = nameof(MarkGap_LiquidatesAtRisk))]
    public void Reopen()
    {
        Do(Command.Mark(0, 120_000));
        if (_x.PositionQty(_atRisk[0], 0) != 0) return;
        Do(Command.CancelAllOrders(1));
        Do(Command.Limit(1, 0, Side.Sell, 120_000, 10L * _atRisk.Length));
        foreach (var a in _atRisk)
        {
            var balance = _x.Balance(a);
            if (balance > 0) Do(Command.WithdrawFrom(a, balance));
            Do(Command.DepositTo(a, 62 * Usd));
            Do(Command.Limit(a, 0, Side.Buy, 120_000, 10));
        }
        // The market maker's bid wall inside the liquidation band of the gap.
        Do(Command.Limit(1, 0, Side.Buy, 110_000, 10L * _atRisk.Length));
    }

    /// <summary>Gap to 113,000: at-risk accounts (E = 27 USD &lt; MM = 28.25 USD) are liquidated into the bid wall.</summary>
    [Benchmark]
    public int MarkGap_LiquidatesAtRisk()
    {
        var events = Do(Command.Mark(0, 113_000));
        if (_x.PositionQty(_atRisk[^1], 0) != 0) throw new InvalidOperationException("not liquidated");
        return events;
    }

    private int Do(Command c)
    {
        c.Sequence = ++_sequence;
        return _x.Apply(in c).Length;
    }
}
