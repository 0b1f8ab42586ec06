using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Instruments;
using Exchange.Testing;

namespace Exchange.Core.Tests.Liquidation;

/// <summary>
/// A haircut payer's re-evaluation in the liquidation index is skipped when the headroom measured with its weight
/// (<c>LiquidationIndex.Headroom</c>) shows it would change nothing. Whatever was skipped, every payer must be left in
/// the index exactly as a fresh evaluation leaves it: checked here with payers whose slack lies just below, at and just
/// above the reach of their trigger after the haircut (a long's trigger is out of reach while its slack covers mark - 1
/// ticks), so that both the skip and the evaluation it replaces run, and some payers get a heap entry from the haircut.
/// </summary>
public sealed class SocializationIndexTests
{
    private const long Usd = 1_000_000;
    private const int Early = 10;

    [Theory]
    [InlineData(60, 2_000)]
    [InlineData(61, 1)]
    [InlineData(200, 700)]
    public void EveryPayer_IsLeftAsAFreshEvaluationLeavesIt(int winners, long step)
    {
        var x = new Exchange(new ExchangeOptions
        {
            MaxInstruments = 1, AccountCapacity = winners + Early + 4, OrderCapacity = 4096, Policy = LossPolicy.Socialize,
        });
        x.AddInstrument(new InstrumentSpec
        {
            Name = "BTC-PERP", TickValue = 500, ImrPpm = 100_000, MmrPpm = 50_000, MakerFeePpm = 0, TakerFeePpm = 0,
            LiquidationFeePpm = 10_000, BandPpm = 100_000, LiquidationBandPpm = 75_000,
            MaxPrice = 1_000_000, MaxOrderLots = 100_000_000, MaxPositionLots = 1_000_000_000,
        });
        Do(x, Command.DepositTo(1, 1_000_000_000 * Usd));
        // Ten early winners, long from 110,000 with 63 USD: about twice the others' profit ratio and a similar leverage,
        // so the ADL takes them first (the bankrupt is short ten lots), after a headroom of ~1.35 USD was measured with
        // their weights; their re-evaluation must not be skipped (the closure marks them dirty).
        Do(x, Command.Mark(0, 110_000));
        Do(x, Command.Limit(1, 0, Side.Sell, 110_000, Early));
        for (var e = 0; e < Early; e++)
        {
            Do(x, Command.DepositTo(3 + winners + e, 63 * Usd));
            Do(x, Command.Limit(3 + winners + e, 0, Side.Buy, 110_000, 1, TimeInForce.Ioc));
        }
        Do(x, Command.Mark(0, 120_000));
        // After the gap to 133,000 a winner long one lot at 120,000 has upnl 6.5 USD and MM 3.325 USD, and its trigger is
        // out of reach while E - MM >= 132,999 x 525 (a tick costs 500 in E and at most 25 in MM): a balance of
        // 66,649,475 units leaves exactly that slack. The bankrupt's 3 USD are split by upnl, 6.5 USD against the early
        // winners' 11.5 USD: each later winner pays the floor below or one unit more.
        const long boundary = 132_999 * 525 - 3_175_000;
        var haircut = 3 * Usd * 6_500_000 / (winners * 6_500_000L + Early * 11_500_000L);
        Do(x, Command.Limit(1, 0, Side.Sell, 120_000, winners));
        for (var w = 0; w < winners; w++)
        {
            var offset = haircut + (w - winners / 2) * step;
            Do(x, Command.DepositTo(3 + w, boundary + offset));
            Do(x, Command.Limit(3 + w, 0, Side.Buy, 120_000, 1, TimeInForce.Ioc));
        }
        Do(x, Command.DepositTo(2, 62 * Usd));
        Do(x, Command.Limit(1, 0, Side.Buy, 120_000, 10));
        Do(x, Command.Limit(2, 0, Side.Sell, 120_000, 10, TimeInForce.Ioc));
        Assert.Equal(-10, x.PositionQty(2, 0));

        var events = Do(x, Command.Mark(0, 133_000));
        var payers = new List<int>();
        foreach (var e in events)
            if (e.Type == EventType.Haircut) payers.Add(e.AccountId);
        Assert.True(payers.Count > winners / 2, $"{payers.Count} haircuts");
        for (var e = 0; e < Early; e++) Assert.Equal(0, x.PositionQty(3 + winners + e, 0));
        InvariantChecker.AssertHolds(x);

        int watched = 0, unwatched = 0;
        foreach (var a in payers)
        {
            var kept = x.Index.Describe(a);
            x.Index.EvaluateNow(a);
            Assert.Equal(x.Index.Describe(a), kept);
            if (kept.Contains("long")) watched++;
            else unwatched++;
        }
        // Both kinds of payer: some had their trigger brought within reach by the haircut, some kept it out of reach.
        Assert.True(watched > 0 && unwatched > 0, $"{watched} watched, {unwatched} not");
    }

    private static Event[] Do(Exchange x, Command c)
    {
        c.Sequence = x.LastSequence + 1;
        return x.Apply(c).ToArray();
    }
}
