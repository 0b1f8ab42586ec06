using Exchange.Core.Commands;

namespace Exchange.Testing;

/// <summary>A resting order of the reference model. <see cref="Arrival"/> is its time priority (renewed by a
/// replacing amend); <see cref="Id"/> is its acceptance order, which a replace keeps.</summary>
public sealed class RefOrder
{
    public long Id { get; init; }
    public long ClientOrderId { get; init; }
    public int AccountId { get; init; }
    public int InstrumentId { get; init; }
    public Side Side { get; init; }
    public SelfTradePrevention Stp { get; init; }
    public bool PostOnly { get; init; }
    public long Price { get; set; }
    public long Remaining { get; set; }
    public long Arrival { get; set; }

    public override string ToString() =>
        $"order {Id} cid={ClientOrderId} acct={AccountId} instr={InstrumentId} {Side} {Remaining}@{Price} {Stp}{(PostOnly ? " post-only" : "")}";
}
