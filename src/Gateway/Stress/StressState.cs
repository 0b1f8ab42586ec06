using System.Globalization;
using Exchange.Core;
using Exchange.Core.Instruments;
using Exchange.Core.Journal;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Scenarios;

namespace Exchange.Gateway.Stress;

/// <summary>
/// The starting state of a stress run: the exchange's snapshot bytes (SnapshotCodec's canonical form), how to make
/// the fresh exchange they restore into, and the units and names to read shock lists and write results with (a
/// <see cref="Scenario"/> with no steps). Every shock restores its own copy, so shocks never see each other.
/// </summary>
internal sealed class StressState
{
    private readonly ExchangeOptions _options;

    private StressState(Scenario units, byte[] snapshot, ExchangeOptions options, string source, long sequence)
    {
        Units = units;
        Snapshot = snapshot;
        _options = options;
        Source = source;
        Sequence = sequence;
        var start = Restore();
        AccountCount = start.MaxAccountId;
        Marks = new long[start.InstrumentCount];
        for (var i = 0; i < Marks.Length; i++) Marks[i] = start.Mark(i);
        Insurance = start.Insurance;
    }

    /// <summary>Decimals, policy, instruments (id = index) and account names (id = index + 1).</summary>
    public Scenario Units { get; }
    public byte[] Snapshot { get; }
    /// <summary>Where the state came from: "scenario" or "data".</summary>
    public string Source { get; }
    /// <summary>The sequence of the last command in the state.</summary>
    public long Sequence { get; }
    public int AccountCount { get; }
    /// <summary>Each instrument's mark in the state, in ticks (0: none yet).</summary>
    public long[] Marks { get; }
    public long Insurance { get; }

    /// <summary>A fresh exchange restored from <see cref="Snapshot"/>.</summary>
    public Core.Exchange Restore()
    {
        var x = new Core.Exchange(_options);
        foreach (var instrument in Units.Instruments) x.AddInstrument(instrument.Spec);
        SnapshotCodec.Read(Snapshot, x);
        return x;
    }

    /// <summary>The account name as results show it.</summary>
    public string AccountName(int id) => Units.AccountName(id) ?? $"#{id}";

    /// <summary>
    /// The state a scenario file's lines build (it is run through the scenario runner), its instruments' circuit
    /// breakers first set by <paramref name="breakers"/> when given.
    /// </summary>
    public static StressState FromScenario(Scenario scenario, Func<InstrumentSpec, InstrumentSpec>? breakers = null)
    {
        if (breakers is not null)
        {
            var set = new List<ScenarioInstrument>(scenario.Instruments.Count);
            foreach (var i in scenario.Instruments) set.Add(i with { Spec = breakers(i.Spec) });
            scenario = new Scenario(scenario.Decimals, scenario.Policy, set, scenario.Accounts, scenario.Steps);
        }
        var run = ScenarioRunner.Execute(scenario);
        var x = run.Exchange;
        // The names as the run numbered them: only accepted deposits create accounts.
        var units = new Scenario(scenario.Decimals, scenario.Policy, scenario.Instruments, run.Accounts, []);
        return new StressState(units, SnapshotCodec.Write(x),
            Sized(new ExchangeOptions { Policy = scenario.Policy, CollateralDecimals = scenario.Decimals }, x),
            "scenario", x.LastSequence);
    }

    /// <summary>
    /// The state of a server's data directory (its journal directory, with snapshots in <c>snapshots/</c>) as of
    /// <paramref name="asOf"/>: the newest snapshot at or before it, then the journal up to it.
    /// </summary>
    /// <exception cref="InvalidDataException">The directory does not fit the configuration, or is damaged.</exception>
    public static StressState FromDataDirectory(string directory, GatewayConfig config, long asOf,
        Func<InstrumentSpec, InstrumentSpec>? breakers = null)
    {
        if (breakers is not null)
            config = config with
            {
                Instruments = config.Instruments.ConvertAll(i =>
                {
                    var spec = breakers(i.ToSpec(config.Decimals));
                    return i with { BreakerBandPpm = spec.BreakerBandPpm, BreakerWindow = spec.BreakerWindow };
                }),
            };
        var options = config.ToExchangeOptions();
        Core.Exchange Fresh()
        {
            var fresh = new Core.Exchange(options);
            foreach (var i in config.Instruments) fresh.AddInstrument(i.ToSpec(config.Decimals));
            return fresh;
        }
        RecoveryResult recovered;
        try
        {
            recovered = Recovery.Recover(Path.Combine(directory, "snapshots"), directory, Fresh, asOf);
        }
        catch (JournalCorruptException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
        var x = recovered.Exchange;
        if (asOf != long.MaxValue && x.LastSequence != asOf)
            throw new InvalidDataException($"the data directory reaches sequence {x.LastSequence}, not {asOf}");
        var instruments = new List<ScenarioInstrument>();
        foreach (var i in config.Instruments)
            instruments.Add(new ScenarioInstrument(i.ToSpec(config.Decimals), Exact(i.Tick), Exact(i.Lot)));
        var names = new string[x.MaxAccountId];
        for (var a = 1; a <= names.Length; a++) names[a - 1] = $"#{a}";
        foreach (var u in config.Users)
            if (u.Role == UserConfig.Trader && u.Account >= 1 && u.Account <= names.Length) names[u.Account - 1] = u.Username;
        var units = new Scenario(config.Decimals, options.Policy, instruments, names, []);
        return new StressState(units, SnapshotCodec.Write(x), Sized(options, x), "data", x.LastSequence);
    }

    /// <summary>
    /// Where this state differs from <paramref name="other"/> in anything but the circuit breakers (the sequence,
    /// every account's balance and positions, the open orders, the ledgers, the marks); null when nowhere. Two loads of
    /// one input with different breakers differ only if a halt in its history refused an order.
    /// </summary>
    public string? FirstDifference(StressState other)
    {
        var x = Restore();
        var y = other.Restore();
        if (x.LastSequence != y.LastSequence) return $"sequence {x.LastSequence} vs {y.LastSequence}";
        if (x.MaxAccountId != y.MaxAccountId) return $"accounts {x.MaxAccountId} vs {y.MaxAccountId}";
        if ((x.Insurance, x.Fees, x.ExchangeLedger) != (y.Insurance, y.Fees, y.ExchangeLedger)) return "the system ledgers";
        if (x.OpenOrderCount != y.OpenOrderCount) return $"open orders {x.OpenOrderCount} vs {y.OpenOrderCount}";
        for (var i = 0; i < x.InstrumentCount; i++)
            if (x.Mark(i) != y.Mark(i)) return $"the mark of {Units.Instruments[i].Name}";
        for (var a = 1; a <= x.MaxAccountId; a++)
        {
            if (x.AccountExists(a) != y.AccountExists(a) || (x.AccountExists(a) && x.Balance(a) != y.Balance(a)))
                return $"the balance of {AccountName(a)}";
            if (!x.AccountExists(a)) continue;
            for (var i = 0; i < x.InstrumentCount; i++)
                if (x.PositionQty(a, i) != y.PositionQty(a, i) || x.PositionCost(a, i) != y.PositionCost(a, i))
                    return $"the {Units.Instruments[i].Name} position of {AccountName(a)}";
        }
        return null;
    }

    // Room for the whole state from the start, so a restore does not grow its stores step by step.
    private static ExchangeOptions Sized(ExchangeOptions options, Core.Exchange x) => options with
    {
        AccountCapacity = Math.Max(options.AccountCapacity, x.MaxAccountId + 1),
        OrderCapacity = Math.Max(1024, 2 * x.OpenOrderCount),
    };

    private static ExactDecimal Exact(decimal value) =>
        ExactDecimal.TryParse(value.ToString(CultureInfo.InvariantCulture), out var d) ? d.Normalized()
            : throw new InvalidDataException($"'{value}' is not a plain decimal");
}
