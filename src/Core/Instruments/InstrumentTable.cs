namespace Exchange.Core.Instruments;

/// <summary>The instruments in id order (0-based), shared by the components of the core.</summary>
internal sealed class InstrumentTable
{
    private readonly Instrument[] _items;

    public InstrumentTable(int capacity) => _items = new Instrument[capacity];

    public int Count { get; private set; }

    /// <summary>
    /// Advances whenever any instrument's mark changes (from 1). An account's cached margin sums
    /// (<see cref="Accounts.MarginSums"/>) are current only when they carry this epoch: a mark moves every term of
    /// every holder, so it invalidates them all at once and each is rebuilt when next needed.
    /// </summary>
    public long MarkEpoch { get; private set; } = 1;

    public void MarkChanged() => MarkEpoch++;

    public Instrument this[int id] => _items[id];

    public bool Exists(int id) => (uint)id < (uint)Count;

    public void Add(Instrument instrument)
    {
        if (Count == _items.Length) throw new InvalidOperationException($"at most {_items.Length} instruments");
        instrument.Join(this);
        _items[Count++] = instrument;
        MarkChanged();
    }
}
