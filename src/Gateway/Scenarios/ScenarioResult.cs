using Exchange.Core.Events;

namespace Exchange.Gateway.Scenarios;

/// <summary>A finished scenario run: the scenario, the exchange in its final state and every event in order.</summary>
internal sealed class ScenarioResult
{
    public ScenarioResult(Scenario scenario, Core.Exchange exchange, ScenarioAccounts accounts, IReadOnlyList<ScenarioEvent> events)
    {
        Scenario = scenario;
        Exchange = exchange;
        _accounts = accounts;
        Events = events;
        Conservation = Measure();
    }

    private readonly ScenarioAccounts _accounts;

    public Scenario Scenario { get; }
    /// <summary>Names of the accounts the core created, in id order (the id of <c>Accounts[i]</c> is i + 1).</summary>
    public IReadOnlyList<string> Accounts => _accounts.Names;
    public Core.Exchange Exchange { get; }
    public IReadOnlyList<ScenarioEvent> Events { get; }
    public Conservation Conservation { get; }

    /// <summary>The name of an account id as the output shows it: the account's name, or <c>#id</c> for an id no
    /// deposit created (only rejections of lines naming an account without a deposit carry one).</summary>
    public string AccountName(int id) => _accounts.NameOf(id) ?? $"#{id}";

    private Conservation Measure()
    {
        Int128 balances = 0, costs = 0, deposits = 0, withdrawals = 0;
        var instruments = Scenario.Instruments.Count;
        var net = new long[instruments];
        for (var a = 1; a <= Accounts.Count; a++)
        {
            balances += Exchange.Balance(a);
            for (var i = 0; i < instruments; i++)
            {
                costs += Exchange.PositionCost(a, i);
                net[i] += Exchange.PositionQty(a, i);
            }
        }
        foreach (var e in Events)
        {
            if (e.Event.Type == EventType.Deposited) deposits += e.Event.Amount;
            else if (e.Event.Type == EventType.Withdrawn) withdrawals += e.Event.Amount;
        }
        return new Conservation(balances, costs, Exchange.Insurance, Exchange.Fees, Exchange.ExchangeLedger, deposits,
            withdrawals, net);
    }
}
