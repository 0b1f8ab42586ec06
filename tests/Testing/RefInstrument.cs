using Exchange.Core.Instruments;

namespace Exchange.Testing;

/// <summary>An instrument of the reference model: its spec, its mark (0 until the feed sends one) and its breaker.</summary>
public sealed class RefInstrument
{
    public RefInstrument(int id, InstrumentSpec spec)
    {
        Id = id;
        Spec = spec;
    }

    public int Id { get; }
    public InstrumentSpec Spec { get; }
    public long Mark { get; set; }
    /// <summary>Circuit breaker: accepted marks since the last breach (the breaching one first).</summary>
    public List<long> CalmMarks { get; } = new();
    public bool Halted { get; set; }
}
