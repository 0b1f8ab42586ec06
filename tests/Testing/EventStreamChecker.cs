using System.Numerics;
using Exchange.Core.Commands;
using Exchange.Core.Events;

namespace Exchange.Testing;

/// <summary>
/// Invariants of one command's events (RULEBOOK section 9, items 5 and 6): no self-trade fill; every event stamped
/// with its command; a rejection stands alone; per liquidation, the haircuts and exchange loss add up to the
/// socialized deficit with no haircut above its weight, ADL counterparties of each position are a prefix of the
/// ranked queue, and the account ends with a non-negative balance. Weights and queues are what the reference model
/// measured for the same command (<see cref="ReferenceExchange.LastTraces"/>); without them only the checks that need
/// no measurement run.
/// </summary>
public static class EventStreamChecker
{
    public static void Check(Command command, IReadOnlyList<Event> events, IReadOnlyList<LiquidationTrace>? traces = null)
    {
        var found = Violations(command, events, traces);
        if (found.Count > 0)
            throw new InvariantViolationException($"event stream of {CommandText.Format(command)} broken:\n  " + string.Join("\n  ", found));
    }

    public static List<string> Violations(Command command, IReadOnlyList<Event> events, IReadOnlyList<LiquidationTrace>? traces = null)
    {
        var found = new List<string>();
        foreach (var e in events)
        {
            if (e.Sequence != command.Sequence || e.CommandType != command.Type) found.Add($"event not stamped with its command: {e}");
            if (e.Type == EventType.Trade && e.AccountId == e.CounterpartyId) found.Add($"self-trade fill: {e}");
            if (e.Type == EventType.Rejected && events.Count != 1) found.Add($"a rejection with other events: {e}");
        }

        var liquidations = 0;
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i].Type != EventType.LiquidationStarted) continue;
            var end = i + 1;
            while (end < events.Count && events[end].Type != EventType.LiquidationEnded) end++;
            if (end == events.Count)
            {
                found.Add($"liquidation of account {events[i].AccountId} never ends");
                break;
            }
            CheckLiquidation(events, i, end, traces is not null && liquidations < traces.Count ? traces[liquidations] : null, found);
            liquidations++;
            i = end;
        }
        if (traces is not null && liquidations != traces.Count) found.Add($"{liquidations} liquidations in the stream, the model ran {traces.Count}");
        return found;
    }

    private static void CheckLiquidation(IReadOnlyList<Event> events, int start, int end, LiquidationTrace? trace, List<string> found)
    {
        var account = events[start].AccountId;
        if (trace is not null && account != trace.AccountId) found.Add($"liquidation of account {account}, the model liquidated {trace.AccountId}");
        if (events[end].AccountId != account || events[end].Amount < 0)
            found.Add($"liquidation of account {account} ends badly: {events[end]}");

        BigInteger haircuts = 0, loss = 0;
        var cuts = new List<Event>();
        var adl = new Dictionary<int, List<int>>();
        for (var i = start + 1; i < end; i++)
        {
            var e = events[i];
            switch (e.Type)
            {
                case EventType.Haircut:
                    cuts.Add(e);
                    haircuts += e.Amount;
                    if (e.CounterpartyId != account) found.Add($"haircut for another account: {e}");
                    if (e.Amount <= 0) found.Add($"non-positive haircut: {e}");
                    if (trace is null) break;
                    if (!trace.Weights.TryGetValue(e.AccountId, out var w)) found.Add($"haircut on an account without weight: {e}");
                    else if (e.Amount > w) found.Add($"haircut {e.Amount} above weight {w}: {e}");
                    break;
                case EventType.ExchangeLoss:
                    loss += e.Amount;
                    if (e.Amount <= 0) found.Add($"non-positive exchange loss: {e}");
                    break;
                case EventType.AdlClosure:
                    if (e.AccountId != account) found.Add($"ADL closure for another account: {e}");
                    if (!adl.TryGetValue(e.InstrumentId, out var cps)) adl[e.InstrumentId] = cps = new List<int>();
                    cps.Add(e.CounterpartyId);
                    break;
                case EventType.LiquidationStarted:
                    found.Add($"nested liquidation: {e}");
                    break;
            }
        }

        if (trace is null) return;
        if (haircuts + loss != trace.Socialized)
            found.Add($"account {account}: haircuts {haircuts} + exchange loss {loss} != socialized deficit {trace.Socialized}");
        if (loss > 0)
            foreach (var (id, w) in trace.Weights)
                if (!cuts.Any(c => c.AccountId == id && c.Amount == w))
                    found.Add($"account {account}: the exchange absorbed {loss} but account {id} did not pay its full weight {w}");

        foreach (var (instrument, cps) in adl)
        {
            if (!trace.AdlQueues.TryGetValue(instrument, out var queue))
            {
                found.Add($"account {account}: ADL in instrument {instrument} without a ranked queue");
                continue;
            }
            if (cps.Count > queue.Count || !cps.SequenceEqual(queue.Take(cps.Count)))
                found.Add($"account {account} instrument {instrument}: ADL counterparties [{string.Join(", ", cps)}] are not a prefix of the queue [{string.Join(", ", queue)}]");
        }
    }
}
