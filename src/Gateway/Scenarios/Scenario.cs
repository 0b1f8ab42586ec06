using System.Numerics;
using Exchange.Core;

namespace Exchange.Gateway.Scenarios;

/// <summary>
/// A parsed scenario: exchange settings, instruments in declaration order (instrument id = index), the accounts whose
/// ids are known and the command lines to apply. A parsed file knows no account: its run numbers them
/// (<see cref="ScenarioAccounts"/>, <see cref="ScenarioResult.Accounts"/>); a stress state's units carry the run's.
/// </summary>
internal sealed class Scenario
{
    public Scenario(int decimals, LossPolicy policy, IReadOnlyList<ScenarioInstrument> instruments,
        IReadOnlyList<string> accounts, IReadOnlyList<ScenarioStep> steps)
    {
        Decimals = decimals;
        Policy = policy;
        Instruments = instruments;
        Accounts = accounts;
        Steps = steps;
        Money = ExactDecimal.PowerOfTen(decimals);
    }

    /// <summary>Collateral decimals d: one money unit is 10^-d.</summary>
    public int Decimals { get; }
    public LossPolicy Policy { get; }
    public IReadOnlyList<ScenarioInstrument> Instruments { get; }
    /// <summary>Account names with known ids: the account id of <c>Accounts[i]</c> is i + 1. Empty for a parsed file.</summary>
    public IReadOnlyList<string> Accounts { get; }
    public IReadOnlyList<ScenarioStep> Steps { get; }
    /// <summary>The money unit, 10^-<see cref="Decimals"/>.</summary>
    public ExactDecimal Money { get; }

    /// <summary>The name of an account id, or null when no deposit created it.</summary>
    public string? AccountName(int id) => id >= 1 && id <= Accounts.Count ? Accounts[id - 1] : null;

    public string FormatMoney(BigInteger units) => Money.Format(units);

    public string FormatPrice(int instrument, long ticks) => Instruments[instrument].Tick.Format(ticks);

    public string FormatQty(int instrument, BigInteger lots) => Instruments[instrument].Lot.Format(lots);

    /// <summary>A ppm rate as a plain decimal (100 ppm is 0.0001).</summary>
    public static string FormatRate(long ppm) => new ExactDecimal(ppm, 6).ToString();
}
