using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Instruments;
using Exchange.Testing;

namespace Exchange.Core.Tests.Support;

/// <summary>
/// A small exchange for worked examples: BTC-PERP with tick 0.5, lot 0.001, 6 decimals (tick_value 500 units),
/// imr 10%, mmr 5%, maker -0.01%, taker 0.05%, liquidation fee 1%, band 10%, liquidation band 7.5%.
/// Prices in tests are ticks: 60,000 USD = 120,000 ticks. Money is in micro-USD.
/// </summary>
internal sealed class Market
{
    public const long Usd = 1_000_000;
    public readonly Exchange X;
    public readonly int Btc;
    public readonly List<Event> Log = new();
    private long _sequence;

    public Market(LossPolicy policy = LossPolicy.Adl, InstrumentSpec? spec = null, ExchangeOptions? options = null)
    {
        X = new Exchange((options ?? new ExchangeOptions()) with { Policy = policy });
        Btc = X.AddInstrument(spec ?? Spec());
    }

    public static InstrumentSpec Spec(string name = "BTC-PERP") => new()
    {
        Name = name, TickValue = 500, ImrPpm = 100_000, MmrPpm = 50_000, MakerFeePpm = -100, TakerFeePpm = 500,
        LiquidationFeePpm = 10_000, BandPpm = 100_000, LiquidationBandPpm = 75_000,
        MaxPrice = 10_000_000, MaxOrderLots = 1_000_000, MaxPositionLots = 10_000_000,
    };

    /// <summary>Applies a command with the next sequence number; returns a copy of its events.</summary>
    public Event[] Do(Command c)
    {
        c.Sequence = ++_sequence;
        var events = X.Apply(in c).ToArray();
        Log.AddRange(events);
        return events;
    }

    public Event[] Deposit(int account, long usd) => Do(Command.DepositTo(account, usd * Usd));
    public Event[] Mark(long ticks) => Do(Command.Mark(Btc, ticks));
    public Event[] Buy(int account, long ticks, long lots, TimeInForce tif = TimeInForce.Gtc) =>
        Do(Command.Limit(account, Btc, Side.Buy, ticks, lots, tif));
    public Event[] Sell(int account, long ticks, long lots, TimeInForce tif = TimeInForce.Gtc) =>
        Do(Command.Limit(account, Btc, Side.Sell, ticks, lots, tif));

    /// <summary>RULEBOOK section 9 invariants on the live state; every money-moving test ends with it.</summary>
    public void AssertInvariants() => InvariantChecker.AssertHolds(X);

    public static Event Single(Event[] events, EventType type) => events.Single(e => e.Type == type);
    public static RejectCode RejectOf(Event[] events) => Single(events, EventType.Rejected).Reason;
}
