using BenchmarkDotNet.Attributes;
using Exchange.Core;
using Exchange.Core.Commands;
using Exchange.Core.Instruments;

namespace Exchange.Benchmarks;

/// <summary>
/// Order-book operations through <c>Exchange.Apply</c> (validation, margin check, matching, events): a book of
/// 1,000 resting orders over 500 levels a side, 2,000 accounts.
/// </summary>
[MemoryDiagnoser]
public class BookBenchmarks
{
    private Exchange.Core.Exchange _x = null!;
    private Exchange.Core.Exchange _walk = null!;
    private long _restingId;
    private bool _flip;
    private Command _place, _cancel;

    [Params(1, 10, 100)]
    public int SweepLevels;

    [GlobalSetup]
    public void Setup()
    {
        _x = NewExchange();
        for (var a = 1; a <= 2000; a++) Do(Command.DepositTo(a, 1_000_000_000_000));
        Do(Command.Mark(0, 120_000));
        for (var i = 0; i < 500; i++)
        {
            Do(Command.Limit(1 + i % 1000, 0, Side.Buy, 119_999 - i, 10));
            Do(Command.Limit(1001 + i % 1000, 0, Side.Sell, 120_001 + i, 10));
        }
        // Account 1 quotes 19 more bids deep in the book: its margin check walks 20 orders.
        for (var i = 0; i < 19; i++) Do(Command.Limit(1, 0, Side.Buy, 110_000 + i, 10));
        // A resting order that the amend benchmark moves between two prices.
        Do(Command.Limit(1999, 0, Side.Buy, 119_000, 5));
        _restingId = _x.LastOrderId;
        _place = Command.Limit(1998, 0, Side.Buy, 119_500, 3);

        // An empty ask side and 20 bids above the mark: every order may lose, so the margin sum walks them all.
        _walk = NewExchange();
        Do(_walk, Command.DepositTo(1, 1_000_000_000_000));
        Do(_walk, Command.Mark(0, 120_000));
        for (var i = 0; i < 20; i++) Do(_walk, Command.Limit(1, 0, Side.Buy, 120_001 + i, 10));
    }

    private static Exchange.Core.Exchange NewExchange()
    {
        var x = new Exchange.Core.Exchange(new ExchangeOptions { MaxInstruments = 1, AccountCapacity = 4096 });
        x.AddInstrument(new InstrumentSpec
        {
            Name = "BTC-PERP", TickValue = 500, ImrPpm = 100_000, MmrPpm = 50_000, MakerFeePpm = -100, TakerFeePpm = 500,
            LiquidationFeePpm = 10_000, BandPpm = 100_000, LiquidationBandPpm = 75_000,
            MaxPrice = 10_000_000, MaxOrderLots = 1_000_000, MaxPositionLots = 100_000_000,
        });
        return x;
    }

    [Benchmark(Description = "place resting + cancel (2 commands)")]
    public int PlaceAndCancel()
    {
        var n = Do(_place);
        _cancel = Command.CancelOrder(1998, _x.LastOrderId);
        return n + Do(_cancel);
    }

    [Benchmark(Description = "move (amend price, loses priority)")]
    public int Move()
    {
        _flip = !_flip;
        return Do(Command.AmendOrder(1999, _restingId, _flip ? 119_001 : 119_000, 0));
    }

    [Benchmark(Description = "taker sweeps N ask levels, makers refill, then the same on the bids (2N+2 commands)")]
    public int SweepAndRefill()
    {
        var n = Do(Command.Limit(2000, 0, Side.Buy, 120_000 + SweepLevels, 10L * SweepLevels, TimeInForce.Ioc));
        for (var i = 0; i < SweepLevels; i++) n += Do(Command.Limit(1001 + i, 0, Side.Sell, 120_001 + i, 10));
        // Keep the taker's position bounded: hand it back to the bid side.
        n += Do(Command.Limit(2000, 0, Side.Sell, 120_000 - SweepLevels, 10L * SweepLevels, TimeInForce.Ioc));
        for (var i = 0; i < SweepLevels; i++) n += Do(Command.Limit(1 + i, 0, Side.Buy, 119_999 - i, 10));
        return n;
    }

    [Benchmark(Description = "margin: E - order loss - IM of an account with 20 resting orders, none beyond the mark")]
    public bool MarginCheck() => _x.FreeMargin(1) >= 0;

    [Benchmark(Description = "margin: the same with all 20 orders beyond the mark (the order-loss walk)")]
    public bool MarginCheckWalk() => _walk.FreeMargin(1) >= 0;

    private int Do(Command c) => Do(_x, c);

    private int Do(Exchange.Core.Exchange x, Command c)
    {
        c.Sequence = x.LastSequence + 1;
        return x.Apply(in c).Length;
    }
}
