using Exchange.Core.Instruments;

namespace Exchange.Testing;

/// <summary>An instrument of the reference model: its spec and its mark (0 until the feed sends one).</summary>
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
}
