using Exchange.Core.Book;

namespace Exchange.Core.Instruments;

/// <summary>An instrument at run time: its spec, its mark price and its order book.</summary>
internal sealed class Instrument
{
    public readonly int Id;
    public readonly InstrumentSpec Spec;
    public readonly long TickValue;
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
        Book = new OrderBook(orders, levelCapacity);
        Breaker = new CircuitBreaker(spec);
    }

    public bool HasMark => _mark > 0;

    /// <summary>Joins the table whose mark epoch this instrument's mark changes advance.</summary>
    internal void Join(InstrumentTable table) => _table = table;
}
