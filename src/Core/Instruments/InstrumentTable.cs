namespace Exchange.Core.Instruments;

/// <summary>The instruments in id order (0-based), shared by the components of the core.</summary>
internal sealed class InstrumentTable
{
    private readonly Instrument[] _items;

    public InstrumentTable(int capacity) => _items = new Instrument[capacity];

    public int Count { get; private set; }

    public Instrument this[int id] => _items[id];

    public bool Exists(int id) => (uint)id < (uint)Count;

    public void Add(Instrument instrument)
    {
        if (Count == _items.Length) throw new InvalidOperationException($"at most {_items.Length} instruments");
        _items[Count++] = instrument;
    }
}
