using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Testing;

namespace Exchange.LoadTest;

/// <summary>
/// What every run checks about its own result: the final state hash against a replay of the same commands into a
/// fresh exchange, conservation of money to the unit, and (once per workload, for a prefix) the events and state
/// against the naive reference model.
/// </summary>
internal sealed class RunChecks(Workload workload)
{
    private readonly Dictionary<int, ulong> _replayed = [];

    public int Failures { get; private set; }

    /// <summary>The hash a fresh exchange reaches after the setup and the first <paramref name="count"/> commands.</summary>
    public ulong ExpectedHash(int count)
    {
        if (count == workload.Commands.Length) return workload.FinalHash;
        if (!_replayed.TryGetValue(count, out var hash)) _replayed[count] = hash = workload.Replay(count).StateHash();
        return hash;
    }

    /// <summary>Checks a measured exchange that applied the first <paramref name="count"/> commands; returns a one-line verdict.</summary>
    public string Check(Core.Exchange measured, int count)
    {
        var hash = measured.StateHash();
        // Queries take sequences too: then the last applied sequence is past count (a book query's number skipped, or
        // an account query's journaled, which moves only the last sequence), and the replay gives it the same.
        var expected = measured.LastSequence == count ? ExpectedHash(count) : ReplayedHash(count, measured.LastSequence);
        var conservation = Conservation(measured);
        var ok = hash == expected && conservation is null;
        if (!ok) Failures++;
        return (hash == expected ? $"state hash {hash:x16} = replay" : $"STATE HASH {hash:x16} != replay {expected:x16}") +
               (conservation is null ? "; conservation holds" : "; " + conservation);
    }

    private ulong ReplayedHash(int count, long lastSequence)
    {
        var x = workload.Replay(count - 1);
        var last = workload.Commands[count - 1];
        last.Sequence = lastSequence;
        x.Apply(in last);
        return x.StateHash();
    }

    /// <summary>sum(balance) - sum(cost) + insurance + fees + exchange == deposits - withdrawals, or why not.</summary>
    public static string? Conservation(Core.Exchange x)
    {
        Int128 left = (Int128)x.Insurance + x.Fees + x.ExchangeLedger;
        for (var a = 1; a <= x.MaxAccountId; a++)
        {
            if (!x.AccountExists(a)) continue;
            left += x.Balance(a);
            for (var i = 0; i < x.InstrumentCount; i++) left -= x.PositionCost(a, i);
        }
        Int128 right = (Int128)x.Deposits - x.Withdrawals;
        return left == right ? null : $"CONSERVATION BROKEN: {left} != deposits - withdrawals {right}";
    }

    /// <summary>
    /// Applies the setup and the first <paramref name="count"/> commands to a fresh core and to the reference model
    /// side by side, comparing every command's events and then the whole state, and runs the invariant checker.
    /// </summary>
    public string CompareWithModel(int count)
    {
        count = Math.Min(count, workload.Commands.Length);
        var core = new Core.Exchange(Workload.Options(workload.Spec));
        var model = new ReferenceExchange(Workload.Options(workload.Spec));
        for (var i = 0; i < workload.Spec.Instruments; i++)
        {
            core.AddInstrument(Workload.Instrument(i));
            model.AddInstrument(Workload.Instrument(i));
        }
        try
        {
            var events = new List<Event>();
            void Step(in Command c)
            {
                events.Clear();
                foreach (ref readonly var e in core.Apply(in c)) events.Add(e);
                StateComparer.CompareEvents(c, events, model.Apply(c));
            }
            foreach (ref readonly var c in workload.Setup.AsSpan()) Step(in c);
            foreach (ref readonly var c in workload.Commands.AsSpan(0, count)) Step(in c);
            StateComparer.CompareState(ExchangeSnapshot.Of(core), ExchangeSnapshot.Of(model));
            var violations = InvariantChecker.Violations(core);
            if (violations.Count > 0)
            {
                Failures++;
                return $"INVARIANTS BROKEN after {count:N0} commands: {string.Join("; ", violations.Take(3))}";
            }
            return $"reference model agrees on every event and the final state of the first {count:N0} commands (+ setup); invariants hold";
        }
        catch (ModelMismatchException e)
        {
            Failures++;
            return "REFERENCE MODEL DISAGREES: " + e.Message.Split('\n')[0];
        }
    }
}
