using Exchange.Core.Commands;
using Exchange.Core;
using Exchange.Core.Events;
using Exchange.Core.Instruments;

namespace Exchange.Testing;

/// <summary>
/// Runs a generated scenario for the properties. Any failure (a mismatch, a broken invariant, or an exception from
/// either implementation) is rethrown as a <see cref="ScenarioFailedException"/> carrying the commands so far.
/// </summary>
public static class ScenarioRunner
{
    /// <summary>
    /// Core and reference model side by side: after every command the events must be equal one by one, the event
    /// stream and both states must satisfy the invariants, and the states must be equal.
    /// </summary>
    public static ScenarioStats CompareWithModel(Scenario s)
    {
        var core = ScenarioDriver.NewCore(s);
        var model = ScenarioDriver.NewModel(s);
        var driver = new ScenarioDriver(s, core);
        var stats = new ScenarioStats();
        stats.AddScenario();
        var log = new List<Command>();
        try
        {
            foreach (var intent in s.Intents)
            {
                var c = driver.Next(intent);
                log.Add(c);
                var coreEvents = core.Apply(in c).ToArray();
                var modelEvents = model.Apply(c);
                StateComparer.CompareEvents(c, coreEvents, modelEvents);
                EventStreamChecker.Check(c, coreEvents, model.LastTraces);
                var modelState = ExchangeSnapshot.Of(model);
                InvariantChecker.Check(core);
                InvariantChecker.Check(modelState);
                StateComparer.CompareState(ExchangeSnapshot.Of(core), modelState);
                stats.Add(c, coreEvents);
                stats.Add(model.LastTraces);
            }
        }
        catch (Exception ex)
        {
            throw new ScenarioFailedException(s, log, ex);
        }
        return stats;
    }

    /// <summary>
    /// Core and model side by side on fixed commands (a reproduction printed by <see cref="ScenarioFailedException"/>):
    /// returns every command's events from the core; throws on the first mismatch or broken invariant.
    /// </summary>
    public static List<Event[]> CompareWithModel(ExchangeOptions options, IEnumerable<InstrumentSpec> specs, IEnumerable<Command> commands,
        Action<Command, Event[]>? observe = null)
    {
        var core = new Core.Exchange(options);
        var model = new ReferenceExchange(options);
        foreach (var spec in specs)
        {
            core.AddInstrument(spec);
            model.AddInstrument(spec);
        }
        var all = new List<Event[]>();
        var stats = new ScenarioStats();
        foreach (var c in commands)
        {
            var coreEvents = core.Apply(in c).ToArray();
            all.Add(coreEvents);
            observe?.Invoke(c, coreEvents);
            StateComparer.CompareEvents(c, coreEvents, model.Apply(c));
            EventStreamChecker.Check(c, coreEvents, model.LastTraces);
            var modelState = ExchangeSnapshot.Of(model);
            InvariantChecker.Check(core);
            InvariantChecker.Check(modelState);
            StateComparer.CompareState(ExchangeSnapshot.Of(core), modelState);
        }
        return all;
    }

    /// <summary>RULEBOOK 9.7: the recorded commands replayed into a fresh core give the same events and state.</summary>
    public static ScenarioStats Replay(Scenario s)
    {
        var first = ScenarioDriver.NewCore(s);
        var driver = new ScenarioDriver(s, first);
        var stats = new ScenarioStats();
        stats.AddScenario();
        var log = new List<Command>();
        var recorded = new List<Event[]>();
        try
        {
            foreach (var intent in s.Intents)
            {
                var c = driver.Next(intent);
                log.Add(c);
                var events = first.Apply(in c).ToArray();
                EventStreamChecker.Check(c, events);
                recorded.Add(events);
                stats.Add(c, events);
            }
            var expected = ExchangeSnapshot.Of(first);
            var second = ScenarioDriver.NewCore(s);
            for (var k = 0; k < log.Count; k++)
                StateComparer.CompareEvents(log[k], second.Apply(log[k]).ToArray(), recorded[k]);
            var diff = StateComparer.FirstDifference(ExchangeSnapshot.Of(second), expected);
            if (diff is not null) throw new ModelMismatchException("replayed state differs: " + diff);
            InvariantChecker.Check(second);
        }
        catch (Exception ex)
        {
            throw new ScenarioFailedException(s, log, ex);
        }
        return stats;
    }

    /// <summary>Every command's events, applied by the position rules to the state before it, give the state after it.</summary>
    public static ScenarioStats CheckFillAccounting(Scenario s)
    {
        var core = ScenarioDriver.NewCore(s);
        var driver = new ScenarioDriver(s, core);
        var stats = new ScenarioStats();
        stats.AddScenario();
        var log = new List<Command>();
        try
        {
            var before = ExchangeSnapshot.Of(core);
            foreach (var intent in s.Intents)
            {
                var c = driver.Next(intent);
                log.Add(c);
                var events = core.Apply(in c).ToArray();
                var after = ExchangeSnapshot.Of(core);
                EventStreamChecker.Check(c, events);
                FillAccountingChecker.Check(c, before, events, after);
                stats.Add(c, events);
                before = after;
            }
            InvariantChecker.Check(core);
        }
        catch (Exception ex)
        {
            throw new ScenarioFailedException(s, log, ex);
        }
        return stats;
    }
}
