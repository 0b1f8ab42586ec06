using Exchange.Core.Commands;
using Exchange.Core.Instruments;
using Exchange.Core.Tests.Support;

namespace Exchange.Core.Tests.Performance;

/// <summary>
/// Mirrors of perf/Exchange.Benchmarks/BookBenchmarks.cs: a book of 1,000 resting orders over 500 levels a side,
/// 2,000 accounts, each operation through <see cref="Exchange.Apply"/>. Single-threaded: measured on the test thread.
/// </summary>
internal sealed class BookOperation : BudgetedOperation
{
    private readonly Exchange _x;
    private readonly Func<int> _operation;
    private readonly int _operations;
    private long _sequence;
    private long _restingId;
    private bool _flip;

    private BookOperation(string name, string method, int sweepLevels, int operations) : base(name)
    {
        _operations = operations;
        _x = new Exchange(new ExchangeOptions { MaxInstruments = 1, AccountCapacity = 4096 });
        _x.AddInstrument(new InstrumentSpec
        {
            Name = "BTC-PERP", TickValue = 500, ImrPpm = 100_000, MmrPpm = 50_000, MakerFeePpm = -100, TakerFeePpm = 500,
            LiquidationFeePpm = 10_000, BandPpm = 100_000, LiquidationBandPpm = 75_000,
            MaxPrice = 10_000_000, MaxOrderLots = 1_000_000, MaxPositionLots = 100_000_000,
        });
        for (var a = 1; a <= 2000; a++) Do(Command.DepositTo(a, 1_000_000_000_000));
        Do(Command.Mark(0, 120_000));
        for (var i = 0; i < 500; i++)
        {
            Do(Command.Limit(1 + i % 1000, 0, Side.Buy, 119_999 - i, 10));
            Do(Command.Limit(1001 + i % 1000, 0, Side.Sell, 120_001 + i, 10));
        }
        for (var i = 0; i < 19; i++) Do(Command.Limit(1, 0, Side.Buy, 110_000 + i, 10));
        Do(Command.Limit(1999, 0, Side.Buy, 119_000, 5));
        _restingId = _x.LastOrderId;
        _operation = method switch
        {
            "PlaceAndCancel" => PlaceAndCancel,
            "Move" => Move,
            "SweepAndRefill" => () => SweepAndRefill(sweepLevels),
            "MarginCheck" => () => _x.FreeMargin(1) >= 0 ? 1 : 0,
            _ => throw new ArgumentException(method),
        };
    }

    /// <summary>The operation; SweepAndRefill once per value of the benchmark's SweepLevels parameter.</summary>
    public static IEnumerable<BudgetedOperation> Create(string method)
    {
        if (method != "SweepAndRefill")
        {
            yield return new BookOperation("BookBenchmarks." + method, method, 0, 2_000);
            yield break;
        }
        foreach (var levels in new[] { 1, 10, 100 })
            yield return new BookOperation($"BookBenchmarks.SweepAndRefill(SweepLevels={levels})", method, levels, 200);
    }

    public override int OperationsPerRun => _operations;

    public override void WarmUp()
    {
        for (var i = 0; i < 20 * _operations; i++) _operation();
    }

    public override IReadOnlyList<(string Thread, long Bytes)> Measure() =>
        [("test thread", Allocations.Fewest(() =>
        {
            for (var i = 0; i < _operations; i++) _operation();
        }))];

    private int PlaceAndCancel()
    {
        var n = Do(Command.Limit(1998, 0, Side.Buy, 119_500, 3));
        return n + Do(Command.CancelOrder(1998, _x.LastOrderId));
    }

    private int Move()
    {
        _flip = !_flip;
        return Do(Command.AmendOrder(1999, _restingId, _flip ? 119_001 : 119_000, 0));
    }

    private int SweepAndRefill(int levels)
    {
        var n = Do(Command.Limit(2000, 0, Side.Buy, 120_000 + levels, 10L * levels, TimeInForce.Ioc));
        for (var i = 0; i < levels; i++) n += Do(Command.Limit(1001 + i, 0, Side.Sell, 120_001 + i, 10));
        n += Do(Command.Limit(2000, 0, Side.Sell, 120_000 - levels, 10L * levels, TimeInForce.Ioc));
        for (var i = 0; i < levels; i++) n += Do(Command.Limit(1 + i, 0, Side.Buy, 119_999 - i, 10));
        return n;
    }

    private int Do(Command c)
    {
        c.Sequence = ++_sequence;
        return _x.Apply(in c).Length;
    }
}
