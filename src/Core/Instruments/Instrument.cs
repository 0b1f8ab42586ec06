using Exchange.Core.Book;

namespace Exchange.Core.Instruments;

/// <summary>An instrument at run time: its spec, its mark price and its order book.</summary>
internal sealed class Instrument
{
    public readonly int Id;
    public readonly InstrumentSpec Spec;
    public readonly long TickValue;
    /// <summary>
    /// tv + ceil(tv x mmr / 1e6): a bound on what one tick costs one lot of a position in E - MM (the liquidation
    /// index's rate r = |q| x tv + ceil(|q| x tv x mmr / 1e6) is at most |q| times it, as ceil(n x y) &lt;= n x ceil(y)
    /// for a whole n), for <see cref="Risk.LiquidationIndex"/>'s test of a fill it need not re-evaluate.
    /// </summary>
    public readonly long RatePerLot;
    /// <summary>Whether max_price x <see cref="RatePerLot"/> is below 2^62 (always, for a spec that passed
    /// <see cref="InstrumentSpec.Validate"/>: max_price x tv &lt;= 2^59 and RatePerLot &lt;= 2 x tv), so a distance of at
    /// most max_price ticks times the rate is a long without an overflow test.</summary>
    public readonly bool ReachRateFits;
    public readonly OrderBook Book;
    /// <summary>Current mark price in ticks; 0 until the feed sends one. Setting it advances the table's
    /// <see cref="InstrumentTable.MarkEpoch"/>, which makes every account's cached margin sums stale.</summary>
    public long Mark
    {
        get => _mark;
        set
        {
            _mark = value;
            _table?.MarkChanged();
        }
    }
    private long _mark;
    private InstrumentTable? _table;
    /// <summary>The instrument's circuit breaker (disabled unless the spec sets a band).</summary>
    public readonly CircuitBreaker Breaker;

    public Instrument(int id, InstrumentSpec spec, OrderStore orders, int levelCapacity)
    {
        Id = id;
        Spec = spec;
        TickValue = spec.TickValue;
        // tv <= 2^60 and mmr <= 1e6 (InstrumentSpec.Validate): at most 2 x tv <= 2^61, a long.
        RatePerLot = (long)(spec.TickValue + FixedPoint.CeilDiv((Int128)spec.TickValue * spec.MmrPpm, FixedPoint.Million));
        ReachRateFits = (Int128)spec.MaxPrice * RatePerLot < (Int128)1 << 62;
        Book = new OrderBook(orders, levelCapacity);
        Breaker = new CircuitBreaker(spec);
    }

    public bool HasMark => _mark > 0;

    /// <summary>Joins the table whose mark epoch this instrument's mark changes advance.</summary>
    internal void Join(InstrumentTable table) => _table = table;
}
