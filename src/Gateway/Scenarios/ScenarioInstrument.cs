using Exchange.Core.Instruments;

namespace Exchange.Gateway.Scenarios;

/// <summary>An instrument declared by a scenario: the core's spec plus the human tick and lot sizes used to read and
/// write prices and quantities.</summary>
internal sealed record ScenarioInstrument(InstrumentSpec Spec, ExactDecimal Tick, ExactDecimal Lot)
{
    public string Name => Spec.Name;
}
