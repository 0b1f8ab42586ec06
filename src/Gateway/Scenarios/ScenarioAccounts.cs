using Exchange.Core.Commands;
using Exchange.Core.Events;

namespace Exchange.Gateway.Scenarios;

/// <summary>
/// The scenario's account names and the core's account ids, given as the run goes (RULEBOOK section 11): an account
/// exists once it has a deposit, and accounts are numbered 1, 2, ... in order of their first deposit. A deposit line
/// the core rejects is not a deposit, so a name gets its id only when the core accepts the deposit; until then its
/// lines carry the next free id, which no account has, and the core rejects them (UNKNOWN_ACCOUNT).
/// </summary>
internal sealed class ScenarioAccounts
{
    private readonly List<string> _names = [];
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);

    /// <summary>Names of the accounts the core created; the id of <c>Names[i]</c> is i + 1.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>The step's command with the account id of its name (commands naming no account are unchanged).</summary>
    public Command Resolve(in ScenarioStep step)
    {
        var command = step.Command;
        if (step.AccountName is { } name) command.AccountId = _ids.TryGetValue(name, out var id) ? id : _names.Count + 1;
        return command;
    }

    /// <summary>Records the account a deposit created: the name's first deposit the core accepted.</summary>
    public void Observe(in ScenarioStep step, in Command command, ReadOnlySpan<Event> events)
    {
        if (step.AccountName is not { } name || command.Type != CommandType.Deposit || _ids.ContainsKey(name)) return;
        foreach (ref readonly var e in events)
        {
            if (e.Type != EventType.Deposited) continue;
            _names.Add(name);
            _ids.Add(name, command.AccountId);
            return;
        }
    }

    /// <summary>The name of an account id, or null when no accepted deposit created it.</summary>
    public string? NameOf(int id) => id >= 1 && id <= _names.Count ? _names[id - 1] : null;
}
