using System.Numerics;

namespace Exchange.Testing;

/// <summary>A trader account of the reference model: cash and one position per instrument it ever touched.</summary>
public sealed class RefAccount
{
    private readonly Dictionary<int, RefPosition> _positions = new();

    public RefAccount(int id) => Id = id;

    public int Id { get; }
    public BigInteger Balance { get; set; }

    /// <summary>The position in an instrument (created flat on first use).</summary>
    public RefPosition Position(int instrument)
    {
        if (!_positions.TryGetValue(instrument, out var p)) _positions[instrument] = p = new RefPosition();
        return p;
    }

    /// <summary>Instruments with a non-zero position, ascending.</summary>
    public List<int> HeldInstruments() => _positions.Where(kv => kv.Value.Qty != 0).Select(kv => kv.Key).Order().ToList();

    public bool IsFlat => _positions.Values.All(p => p.Qty == 0);
}
