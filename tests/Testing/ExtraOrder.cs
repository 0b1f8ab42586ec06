using Exchange.Core.Commands;

namespace Exchange.Testing;

/// <summary>A hypothetical order counted as resting in full (pre-trade checks).</summary>
public readonly record struct ExtraOrder(int InstrumentId, Side Side, long Price, long Lots);
