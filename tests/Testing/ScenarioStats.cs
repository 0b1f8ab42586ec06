using Exchange.Core.Commands;
using Exchange.Core.Events;

namespace Exchange.Testing;

/// <summary>
/// What a run exercised, so that a property can assert it did not silently test nothing: commands, rejections,
/// trades, and each step of the liquidation waterfall.
/// </summary>
public sealed class ScenarioStats
{
    public long Scenarios { get; private set; }
    public long Commands { get; private set; }
    public long Rejected { get; private set; }
    public long Trades { get; private set; }
    public long Liquidations { get; private set; }
    public long LiquidationFills { get; private set; }
    public long InsurancePayments { get; private set; }
    public long AdlClosures { get; private set; }
    public long Haircuts { get; private set; }
    public long ExchangeLosses { get; private set; }

    /// <summary>Rejections by reason, to see what the generator mostly gets wrong.</summary>
    public SortedDictionary<RejectCode, long> RejectReasons { get; } = new();

    /// <summary>Liquidations of flat accounts in debt (MM = 0): a risk-reducing fill far from the mark or an ADL at
    /// the bankruptcy price left them there, and step 4 settled them.</summary>
    public long FlatDebtLiquidations { get; private set; }

    /// <summary>ADL closures against an insolvent counterparty whose lev passed 2^62 (from the model's traces).</summary>
    public long InsolventClosuresPast2To62 { get; private set; }

    public void AddScenario() => Scenarios++;

    /// <summary>Counts what the reference model measured in one command's liquidations.</summary>
    public void Add(IReadOnlyList<LiquidationTrace> traces)
    {
        foreach (var t in traces) InsolventClosuresPast2To62 += t.InsolventClosuresPast2To62;
    }

    /// <summary>Finer features seen (amend kinds, STP, TIF outcomes, cascades...), for the coverage report.</summary>
    public SortedDictionary<string, long> Features { get; } = new();

    private void Feature(string name) => Features[name] = Features.GetValueOrDefault(name) + 1;

    /// <summary>Counts one command's events, and the features it exercised.</summary>
    public void Add(Command command, IReadOnlyList<Event> events)
    {
        Add(events);
        var accepted = events.FirstOrDefault(e => e.Type == EventType.OrderAccepted);
        if (accepted.Type == EventType.OrderAccepted)
        {
            if (command.OrderType == OrderType.Market) Feature("market order accepted");
            if (command.TimeInForce == TimeInForce.Fok) Feature("FOK accepted");
            if (command.Flags.HasFlag(OrderFlags.PostOnly)) Feature("post-only accepted");
            if (command.Flags.HasFlag(OrderFlags.ReduceOnly)) Feature(accepted.Quantity < command.Quantity ? "reduce-only clipped" : "reduce-only accepted");
        }
        foreach (var e in events)
        {
            if (e.Type == EventType.OrderAmended) Feature(e.Flags.HasFlag(EventFlags.PriorityKept) ? "amend kept priority" : "amend replaced");
            if (e.Type == EventType.OrderCancelled) Feature($"cancel reason {e.CancelReason}");
            if (e.Type == EventType.Trade && command.Type == CommandType.Amend) Feature("amend traded at once");
            if (e.Type == EventType.LiquidationEnded && e.Flags.HasFlag(EventFlags.Cured)) Feature("liquidation cured by cancelling");
            if (e.Type == EventType.LiquidationFee) Feature("liquidation fee");
            if (e.Type == EventType.TradingHalted) Feature("circuit breaker halt");
            if (e.Type == EventType.TradingResumed) Feature(e.Amount == 1 ? "admin resume" : "resume by rule");
        }
        var liquidations = events.Count(e => e.Type == EventType.LiquidationStarted);
        if (liquidations > 1) Feature("cascade (several liquidations in one command)");
        foreach (var g in events.Where(e => e.Type == EventType.AdlClosure).GroupBy(e => (e.AccountId, e.InstrumentId)))
            if (g.Count() > 1) Feature("ADL over several counterparties");
        if (events.Any(e => e.Type == EventType.AdlClosure) && events.Any(e => e.Type == EventType.Trade && e.Flags.HasFlag(EventFlags.Liquidation)))
            Feature("book fills then ADL in one command");
        if (events.Count(e => e.Type == EventType.Haircut) > 1) Feature("loss split over several haircuts");
    }

    public void Add(IReadOnlyList<Event> events)
    {
        Commands++;
        foreach (var e in events)
        {
            switch (e.Type)
            {
                case EventType.Rejected:
                    Rejected++;
                    RejectReasons[e.Reason] = RejectReasons.GetValueOrDefault(e.Reason) + 1;
                    break;
                case EventType.Trade:
                    Trades++;
                    if (e.Flags.HasFlag(EventFlags.Liquidation)) LiquidationFills++;
                    break;
                case EventType.LiquidationStarted:
                    Liquidations++;
                    if (e.Amount2 == 0) FlatDebtLiquidations++;
                    break;
                case EventType.InsurancePayment: InsurancePayments++; break;
                case EventType.AdlClosure: AdlClosures++; break;
                case EventType.Haircut: Haircuts++; break;
                case EventType.ExchangeLoss: ExchangeLosses++; break;
            }
        }
    }

    public void Add(ScenarioStats other)
    {
        Scenarios += other.Scenarios;
        Commands += other.Commands;
        Rejected += other.Rejected;
        Trades += other.Trades;
        Liquidations += other.Liquidations;
        LiquidationFills += other.LiquidationFills;
        InsurancePayments += other.InsurancePayments;
        AdlClosures += other.AdlClosures;
        Haircuts += other.Haircuts;
        ExchangeLosses += other.ExchangeLosses;
        FlatDebtLiquidations += other.FlatDebtLiquidations;
        InsolventClosuresPast2To62 += other.InsolventClosuresPast2To62;
        foreach (var (name, count) in other.Features) Features[name] = Features.GetValueOrDefault(name) + count;
        foreach (var (reason, count) in other.RejectReasons) RejectReasons[reason] = RejectReasons.GetValueOrDefault(reason) + count;
    }

    public override string ToString() =>
        $"{Scenarios} scenarios, {Commands} commands ({Rejected} rejected), {Trades} trades, {Liquidations} liquidations " +
        $"({LiquidationFills} book fills, {InsurancePayments} insurance payments, {AdlClosures} ADL closures, {Haircuts} haircuts, " +
        $"{ExchangeLosses} exchange losses), flat-debt liquidations: {FlatDebtLiquidations}, " +
        $"ADL closures against insolvent counterparties past 2^62: {InsolventClosuresPast2To62}; rejections: {string.Join(", ", RejectReasons.Select(r => $"{RejectCodeNames.Name(r.Key)} {r.Value}"))}; " +
        $"features: {string.Join(", ", Features.Select(f => $"{f.Key} {f.Value}"))}";
}
