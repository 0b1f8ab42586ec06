using System.Diagnostics;
using Exchange.Core.Book;
using Exchange.Core.Commands;
using Exchange.Core.Events;

namespace Exchange.LoadTest;

/// <summary>
/// A seeded generator in the manner of exchange-core's TestOrdersGenerator: books filled to ~1,000 resting orders,
/// then 9% GTC, 3% IOC, 6% cancel and 82% move, where a move steps an order 1% of the way to the last trade price
/// (at least a tick). A regulator keeps each book near its target (see <see cref="GtcOrder"/>); about 5% of
/// commands trade (seed 1: 5.3%; exchange-core reports about 6%).
/// </summary>
/// <remarks>
/// It applies each command to a real exchange as it goes and reads the events back, so cancels and moves always name
/// an order that is resting at that point, by the exchange's own order id; replaying the arrays into a fresh exchange
/// gives the same state (the run checks it by hash).
/// </remarks>
internal sealed class WorkloadGenerator
{
    private const long Usd = 1_000_000;
    /// <summary>How far from the last trade a new GTC order may rest (ticks); shapes the ~750 levels.</summary>
    private const int PriceDeviation = 5_000;
    /// <summary>The last trade price is kept within this distance of the mark, as exchange-core bounds it.</summary>
    private const int CenterRange = 1_500;
    private const int SampleEvery = 512;

    private readonly WorkloadSpec _spec;
    private readonly Random _rng;
    private readonly Core.Exchange _x;
    private readonly OrderPool[] _pools;
    private readonly long[] _center;
    private readonly long[] _mark;
    private readonly BookLevel[] _depth = new BookLevel[16 * 1024];
    private readonly List<(int Instrument, long Id)> _touched = [];
    private long _sequence;
    private long _rejected, _liquidations;
    private bool _traded;

    public WorkloadGenerator(WorkloadSpec spec)
    {
        _spec = spec;
        _rng = new Random(spec.Seed);
        _x = new Core.Exchange(Workload.Options(spec));
        _pools = new OrderPool[spec.Instruments];
        _center = new long[spec.Instruments];
        _mark = new long[spec.Instruments];
        for (var i = 0; i < spec.Instruments; i++)
        {
            _x.AddInstrument(Workload.Instrument(i));
            _pools[i] = new OrderPool();
            _center[i] = _mark[i] = Workload.BasePrice;
        }
    }

    private bool Margin => _spec.Mix == WorkloadMix.Margin;

    public Workload Generate()
    {
        var clock = Stopwatch.StartNew();
        var setup = new List<Command>();
        if (Margin) setup.Add(Apply(Command.InsuranceDeposit(10_000_000 * Usd)));
        for (var a = 1; a <= _spec.Accounts; a++)
            setup.Add(Apply(Command.DepositTo(a, Margin ? Usd * (50 + _rng.Next(500)) : 1_000_000 * Usd)));
        for (var i = 0; i < _spec.Instruments; i++) setup.Add(Apply(Command.Mark(i, _mark[i])));
        for (var i = 0; i < _spec.Instruments; i++)
        {
            // Fill each book to its target with passive orders, alternating sides.
            var guard = 0;
            while (_pools[i].Count < _spec.OrdersPerBook && guard++ < 20 * _spec.OrdersPerBook)
                setup.Add(Apply(PassiveOrder(i, _pools[i].Buys <= _pools[i].Sells ? Side.Buy : Side.Sell)));
        }

        var n = _spec.Commands;
        var commands = new Command[n];
        var kinds = new CommandKind[n];
        var traded = new bool[n];
        var perKind = new long[CommandKinds.Count];
        long tradedCount = 0, samples = 0;
        double orders = 0, levels = 0;
        _rejected = _liquidations = 0;
        for (var k = 0; k < n; k++)
        {
            var (command, kind) = Next();
            commands[k] = Apply(command);
            kinds[k] = kind;
            traded[k] = _traded;
            perKind[(int)kind]++;
            if (_traded) tradedCount++;
            if (k % SampleEvery == 0)
            {
                samples++;
                for (var i = 0; i < _spec.Instruments; i++)
                {
                    orders += _pools[i].Count;
                    levels += _x.Depth(i, Side.Buy, _depth) + _x.Depth(i, Side.Sell, _depth);
                }
            }
        }

        return new Workload
        {
            Spec = _spec, Setup = setup.ToArray(), Commands = commands, Kinds = kinds, Traded = traded,
            FinalHash = _x.StateHash(),
            Stats = new WorkloadStats
            {
                PerKind = perKind, Traded = tradedCount, Rejected = _rejected, Liquidations = _liquidations,
                MeanOrdersPerBook = orders / Math.Max(1, samples * _spec.Instruments),
                MeanLevelsPerBook = levels / Math.Max(1, samples * _spec.Instruments),
                GenerationTime = clock.Elapsed,
            },
        };
    }

    private (Command, CommandKind) Next()
    {
        var i = _spec.Instruments == 1 ? 0 : _rng.Next(_spec.Instruments);
        if (Margin)
        {
            var m = _rng.Next(100);
            if (m < 5) return (MarkMove(i), CommandKind.Mark);
            if (m < 6) return (Command.DepositTo(1 + _rng.Next(_spec.Accounts), Usd * (20 + _rng.Next(200))), CommandKind.Deposit);
        }

        var r = _rng.Next(100);
        var pool = _pools[i];
        if (r < 9 || pool.Count == 0) return (GtcOrder(i), CommandKind.Gtc);
        if (r < 12) return (IocOrder(i), CommandKind.Ioc);
        var pick = _rng.Next(pool.Count);
        if (r < 18) return (Command.CancelOrder(pool.Account(pick), pool.Id(pick)), CommandKind.Cancel);
        // While the book is full, one move in 20 chases the market through the opposite best: exchange-core's moves
        // cross at the touch, and the sparser book here needs the push to trade about as often.
        var price = pool.Count >= _spec.OrdersPerBook && _rng.Next(20) == 0 && CrossingPrice(i, pool.SideOf(pick)) is { } through ? through : MovedPrice(i, pool.Price(pick));
        return (Command.AmendOrder(pool.Account(pick), pool.Id(pick), price, 0), CommandKind.Move);
    }

    /// <summary>A price 0-2 ticks through the opposite best, or null when that side is empty.</summary>
    private long? CrossingPrice(int i, Side side)
    {
        if (_x.Depth(i, Opposite(side), _depth.AsSpan(0, 1)) == 0) return null;
        var best = _depth[0].Price;
        return Math.Max(1, side == Side.Buy ? best + _rng.Next(3) : best - _rng.Next(3));
    }

    /// <summary>
    /// Keeps the book near its target: the thinner side gets three new orders in four, and an order into a book at
    /// 97% of its target is one lot a few ticks through the opposite best: it trades, usually without emptying the
    /// maker, so it adds trades without draining the book (crossing moves and full-size IOCs do the draining).
    /// </summary>
    private Command GtcOrder(int i)
    {
        var pool = _pools[i];
        var thin = pool.Buys <= pool.Sells ? Side.Buy : Side.Sell;
        var side = _rng.Next(4) == 0 ? Opposite(thin) : thin;
        if (pool.Count >= _spec.OrdersPerBook * 97 / 100 && CrossingPrice(i, side) is { } price)
            return Command.Limit(1 + _rng.Next(_spec.Accounts), i, side, price, 1);
        return PassiveOrder(i, side);
    }

    /// <summary>A GTC order resting at or behind the last trade price: triangular-ish spread over a random width.</summary>
    private Command PassiveOrder(int i, Side side)
    {
        var width = 1 + (int)(Math.Pow(_rng.NextDouble(), 2) * PriceDeviation);
        long p = 0;
        for (var k = 0; k < 4; k++) p += _rng.Next(width);
        var offset = Math.Abs(p / 4 * 2 - width);
        // Behind the opposite best too: after a mark gap the last trade price can sit inside stale orders.
        var anchor = _center[i];
        if (_x.Depth(i, Opposite(side), _depth.AsSpan(0, 1)) == 1)
            anchor = side == Side.Buy ? Math.Min(anchor, _depth[0].Price - 1) : Math.Max(anchor, _depth[0].Price + 1);
        var price = side == Side.Buy ? anchor - offset : anchor + offset;
        return Command.Limit(1 + _rng.Next(_spec.Accounts), i, side, Math.Max(1, price), Size());
    }

    private Command IocOrder(int i)
    {
        var side = _rng.Next(2) == 0 ? Side.Buy : Side.Sell;
        var price = side == Side.Buy ? _center[i] + PriceDeviation : _center[i] - PriceDeviation;
        // A thin book gets small takers that rarely empty a maker, so it refills.
        var size = _pools[i].Count < _spec.OrdersPerBook ? 1 + _rng.Next(3) : Size();
        return Command.Limit(1 + _rng.Next(_spec.Accounts), i, side, price, size, TimeInForce.Ioc);
    }

    /// <summary>exchange-core's central move: 1% of the way to the last trade price, at least one tick.</summary>
    private long MovedPrice(int i, long previous)
    {
        var center = _center[i];
        var move = (center - previous) * 0.01;
        long step = previous > center ? (long)Math.Floor(move) : previous < center ? (long)Math.Ceiling(move) : _rng.Next(2) * 2 - 1;
        return Math.Max(1, previous + step);
    }

    /// <summary>A random walk of a few ticks, pulled back to the base price, with a 2-5% gap once in 50 moves.</summary>
    private Command MarkMove(int i)
    {
        var mark = _mark[i];
        var step = (long)Math.Round(Gaussian() * 40) + (Workload.BasePrice - mark) / 50;
        if (_rng.Next(50) == 0)
            step = (_rng.Next(2) == 0 ? -1 : 1) * Workload.BasePrice * (20 + _rng.Next(31)) / 1000;
        var next = Math.Clamp(mark + step, Workload.BasePrice * 85 / 100, Workload.BasePrice * 115 / 100);
        _mark[i] = next;
        // The traders' fair price follows the mark.
        _center[i] += next - mark;
        return Command.Mark(i, next);
    }

    private long Size() => 1 + _rng.Next(6) * _rng.Next(6) * _rng.Next(6);

    private double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - _rng.NextDouble())) * Math.Cos(2 * Math.PI * _rng.NextDouble());

    private static Side Opposite(Side s) => s == Side.Buy ? Side.Sell : Side.Buy;

    /// <summary>Stamps the next sequence, applies the command and updates what the generator knows from its events.</summary>
    private Command Apply(Command c)
    {
        c.Sequence = ++_sequence;
        _traded = false;
        _touched.Clear();
        foreach (ref readonly var e in _x.Apply(in c))
        {
            switch (e.Type)
            {
                case EventType.Trade:
                    _traded = true;
                    _center[e.InstrumentId] = Math.Clamp(e.Price, _mark[e.InstrumentId] - CenterRange, _mark[e.InstrumentId] + CenterRange);
                    if (e.MakerOrderId != 0) _touched.Add((e.InstrumentId, e.MakerOrderId));
                    break;
                case EventType.Rejected: _rejected++; break;
                case EventType.LiquidationStarted: _liquidations++; break;
            }
            if (e.OrderId != 0 && e.Type is EventType.OrderAccepted or EventType.OrderAmended or EventType.OrderCancelled or EventType.Trade)
                _touched.Add((e.InstrumentId, e.OrderId));
        }
        // Whatever the events said, the exchange's own view of each order touched is the truth.
        foreach (var (instrument, id) in _touched)
        {
            if (_x.TryGetOrder(id, out var o)) _pools[o.InstrumentId].Upsert(id, o.AccountId, o.Side, o.Price);
            else _pools[instrument].Remove(id);
        }
        return c;
    }
}
