using BenchmarkDotNet.Attributes;
using Exchange.Core;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Instruments;

namespace Exchange.Benchmarks;

/// <summary>
/// The end of the loss waterfall (RULEBOOK section 8) as the population grows: one account short 10 lots with 62 USD
/// goes bankrupt on a mark gap, with no ask in the book and an empty insurance fund, against <see cref="Winners"/>
/// accounts each long one lot and in profit. Under <see cref="LossPolicy.Adl"/> its position is closed against the
/// top of the ranked ADL queue at bankruptcy prices; under <see cref="LossPolicy.Socialize"/> it is closed at the
/// mark and the shortfall is haircut from every profitable account (largest remainder). The iteration setup reopens
/// the positions the last liquidation closed.
/// </summary>
[MemoryDiagnoser]
public class LiquidationBenchmarks
{
    private const long Usd = 1_000_000;
    private const int MarketMaker = 1;
    private const int Bankrupt = 2;
    private const int FirstWinner = 3;
    private Exchange.Core.Exchange _x = null!;

    [Params(1_000, 10_000)]
    public int Winners;

    [Params(LossPolicy.Adl, LossPolicy.Socialize)]
    public LossPolicy Policy;

    /// <summary>Events of the last liquidation by type (for the tests that check the scenario is what it says).</summary>
    public int LastAdlClosures { get; private set; }

    public int LastHaircuts { get; private set; }

    /// <summary>The exchange, for checks between iterations.</summary>
    public Exchange.Core.Exchange Exchange => _x;

    /// <summary>
    /// <see cref="Setup"/>, then <see cref="WarmUpTiers"/>: what BenchmarkDotNet runs once before the warm-up
    /// iterations.
    /// </summary>
    [GlobalSetup]
    public void SetupWarm()
    {
        Setup();
        WarmUpTiers();
    }

    /// <summary>
    /// Runs the liquidation <see cref="WarmUpRounds"/> times, pausing every ten rounds, so the methods it shares with
    /// the ordinary command path (the liquidation index's re-evaluation, the margin sums, the account reports, the
    /// 128-bit operators they call) reach tier 1, as a server's order flow keeps them. Without it the measured calls
    /// ran partly at tier 0: the runtime delays tiering while new methods keep being jitted (100 ms after the last),
    /// which a freshly started BenchmarkDotNet process does for its first hundred calls or so, and the mean of 30 warm-ups
    /// and 20 iterations was 1.5-5x the tiered figure (docs/benchmarks.md, "Socialization"). The liquidation-only
    /// methods are <c>AggressiveOptimization</c> and optimized from their first call either way.
    /// </summary>
    public void WarmUpTiers()
    {
        for (var round = 1; round <= WarmUpRounds; round++)
        {
            Reopen();
            MarkGap_BankruptAgainstWinners();
            if (round % 10 == 0) Thread.Sleep(20);
        }
        Reopen();
    }

    /// <summary>Rounds of <see cref="WarmUpTiers"/>.</summary>
    public const int WarmUpRounds = 150;

    /// <summary>The population and the first open positions (also what the tests use).</summary>
    public void Setup()
    {
        _x = new Exchange.Core.Exchange(new ExchangeOptions
        {
            MaxInstruments = 1, AccountCapacity = Winners + FirstWinner + 1, OrderCapacity = 4096, Policy = Policy,
        });
        _x.AddInstrument(new InstrumentSpec
        {
            Name = "BTC-PERP", TickValue = 500, ImrPpm = 100_000, MmrPpm = 50_000, MakerFeePpm = 0, TakerFeePpm = 0,
            LiquidationFeePpm = 10_000, BandPpm = 100_000, LiquidationBandPpm = 75_000,
            MaxPrice = 1_000_000, MaxOrderLots = 100_000_000, MaxPositionLots = 1_000_000_000,
        });
        Do(Command.DepositTo(MarketMaker, 1_000_000_000 * Usd));
        Do(Command.Mark(0, 120_000));
        Do(Command.Limit(MarketMaker, 0, Side.Sell, 120_000, Winners));
        for (var w = FirstWinner; w < FirstWinner + Winners; w++)
        {
            Do(Command.DepositTo(w, 1_000 * Usd));
            Do(Command.Limit(w, 0, Side.Buy, 120_000, 1, TimeInForce.Ioc));
        }
        Reopen();
    }

    /// <summary>
    /// Back to the mark of 120,000 with the bankrupt account short 10 lots on 62 USD (initial margin 60 USD) and every
    /// winner long one lot; nothing rests in the book. Reopens only what the last liquidation closed.
    /// </summary>
    [IterationSetup]
    public void Reopen()
    {
        Do(Command.Mark(0, 120_000));
        Do(Command.CancelAllOrders(MarketMaker));
        for (var w = FirstWinner; w < FirstWinner + Winners; w++)
        {
            if (_x.PositionQty(w, 0) == 1) continue;
            Do(Command.Limit(MarketMaker, 0, Side.Sell, 120_000, 1));
            Do(Command.Limit(w, 0, Side.Buy, 120_000, 1, TimeInForce.Ioc));
        }
        if (_x.PositionQty(Bankrupt, 0) == 0)
        {
            var balance = _x.Balance(Bankrupt);
            if (balance > 0) Do(Command.WithdrawFrom(Bankrupt, balance));
            Do(Command.DepositTo(Bankrupt, 62 * Usd));
            Do(Command.Limit(MarketMaker, 0, Side.Buy, 120_000, 10));
            Do(Command.Limit(Bankrupt, 0, Side.Sell, 120_000, 10, TimeInForce.Ioc));
        }
        if (_x.PositionQty(Bankrupt, 0) != -10 || _x.OpenOrderCount != 0 || _x.Insurance != 0)
            throw new InvalidOperationException($"setup: position {_x.PositionQty(Bankrupt, 0)} (want -10), {_x.OpenOrderCount} open orders, insurance {_x.Insurance} (want 0 and 0)");
    }

    /// <summary>
    /// Gap to 133,000: the short account's equity is 62 − 65 = −3 USD, below its maintenance margin, and nothing in
    /// the book or the fund can take the loss.
    /// </summary>
    [Benchmark]
    public int MarkGap_BankruptAgainstWinners()
    {
        var events = _x.Apply(Next(Command.Mark(0, 133_000)));
        if (_x.PositionQty(Bankrupt, 0) != 0) throw new InvalidOperationException("not liquidated");
        int adl = 0, haircuts = 0;
        foreach (ref readonly var e in events)
        {
            if (e.Type == EventType.AdlClosure) adl++;
            else if (e.Type == EventType.Haircut) haircuts++;
        }
        LastAdlClosures = adl;
        LastHaircuts = haircuts;
        return events.Length;
    }

    private Command Next(Command c)
    {
        c.Sequence = _x.LastSequence + 1;
        return c;
    }

    private void Do(Command c) => _x.Apply(Next(c));
}
