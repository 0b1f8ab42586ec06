using Exchange.Core.Events;

namespace Exchange.Gateway.Scenarios;

/// <summary>An event of the core together with the scenario line whose command caused it.</summary>
internal readonly record struct ScenarioEvent(ScenarioStep Step, Event Event);
