using Exchange.Core.Commands;

namespace Exchange.Gateway.Scenarios;

/// <summary>
/// One command line of a scenario: its line number (also the command's sequence, so every event names the line that
/// caused it), the verb as written, the account name it refers to (null for ledger and market commands) and the
/// command sent to the core.
/// </summary>
internal readonly record struct ScenarioStep(int Line, string Verb, string? AccountName, Command Command);
