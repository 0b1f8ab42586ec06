using System.Numerics;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Instruments;
using Exchange.Core.Liquidation;
using Exchange.Testing;

namespace Exchange.Core.Tests.Liquidation;

/// <summary>
/// RULEBOOK section 8 step 3 compares ADL scores exactly. The worked example of issue 19: two ETH-PERP shorts opened
/// at 3,000 USD, w1 (account 1) with 2,000 ETH and w2 (account 2) with 3,000 ETH, both long BTC-PERP, driven to E &lt; 0
/// by a BTC crash in the same command that liquidates trader t (account 3), whose ETH long is then deleveraged.
/// ETH-PERP: tick 0.01, lot 0.001, tick_value 10 units; BTC-PERP: tick 0.5, lot 0.001, tick_value 500; both imr 10%,
/// mmr 5%, no fees. Prices are ticks (3,000 USD = 300,000 ticks; 60,000 USD = 120,000 ticks), money micro-USD.
/// </summary>
public class AdlRankingTests
{
    private const int Eth = 0;
    private const int Btc = 1;
    private const int W1 = 1, W2 = 2, Trader = 3, Maker = 4;

    private static InstrumentSpec Spec(string name, long tickValue) => new()
    {
        Name = name, TickValue = tickValue, ImrPpm = 100_000, MmrPpm = 50_000, MakerFeePpm = 0, TakerFeePpm = 0,
        LiquidationFeePpm = 0, BandPpm = 100_000, LiquidationBandPpm = 75_000,
        MaxPrice = 10_000_000, MaxOrderLots = 10_000_000, MaxPositionLots = 10_000_000,
    };

    private static List<Command> Commands()
    {
        var commands = new List<Command>
        {
            Command.Mark(Eth, 300_000),
            Command.Mark(Btc, 120_000),
            // Just above each account's initial margin: w1 6e11 (ETH) + 6e11 (BTC), w2 9e11 + 7.2e11, t 3e11 + 1.2e12.
            Command.DepositTo(W1, 1_300_000_000_000),
            Command.DepositTo(W2, 1_650_000_000_000),
            Command.DepositTo(Trader, 1_550_000_000_000),
            Command.DepositTo(Maker, 10_000_000_000_000),
            Command.Limit(W1, Eth, Side.Sell, 300_000, 2_000_000),
            Command.Limit(W2, Eth, Side.Sell, 300_000, 3_000_000),
            Command.Limit(Trader, Eth, Side.Buy, 300_000, 1_000_000, TimeInForce.Ioc),
            Command.Limit(Maker, Eth, Side.Buy, 300_000, 4_000_000, TimeInForce.Ioc),
            Command.Limit(Maker, Btc, Side.Sell, 120_000, 420_000),
            Command.Limit(W1, Btc, Side.Buy, 120_000, 100_000, TimeInForce.Ioc),
            Command.Limit(W2, Btc, Side.Buy, 120_000, 120_000, TimeInForce.Ioc),
            Command.Limit(Trader, Btc, Side.Buy, 120_000, 200_000, TimeInForce.Ioc),
            // ETH to 2,990: both shorts earn pnl = 1e10 x k / 3e12 x k = 3,333 ppm.
            Command.Mark(Eth, 299_000),
            // BTC to 45,000 (-25%). E: t = 1.55e12 - 1e10 - 3e12 = -1.46e12 (MM 5.995e11, the lowest E / MM: first),
            // w1 = 1.3e12 + 2e10 - 1.5e12 = -1.8e11, w2 = 1.65e12 + 3e10 - 1.8e12 = -1.2e11.
            Command.Mark(Btc, 90_000),
        };
        for (var k = 0; k < commands.Count; k++) commands[k] = commands[k] with { Sequence = k + 1 };
        return commands;
    }

    [Fact]
    public void InsolventShorts_PastTheOldClamp_AreDeleveragedByExactScore_NotByAccountId()
    {
        var all = ScenarioRunner.CompareWithModel(new ExchangeOptions(), [Spec("ETH-PERP", 10), Spec("BTC-PERP", 500)], Commands());

        var crash = all[^1];
        Assert.Equal(Trader, crash.First(e => e.Type == EventType.LiquidationStarted).AccountId);
        // The trader's BTC long (larger MM) goes first, against the maker at the bankruptcy price: share =
        // floor(-1.46e12 x 4.5e11 / 5.995e11) = -1,095,913,261,051, leaving E = -364,086,738,949 for its ETH long.
        // The ETH shorts' lev (E <= 0, so notional x 1e6) is w1 5.98e18 and w2 8.97e18, both past 2^62 = 4.61e18;
        // equal pnl, so w2 has the higher score and takes the whole 1,000 ETH at Vb = 2.99e12 + 364,086,738,949.
        var ethAdl = crash.First(e => e.Type == EventType.AdlClosure && e.AccountId == Trader && e.InstrumentId == Eth);
        Assert.Equal((W2, 1_000_000L, 3_354_086_738_949L), (ethAdl.CounterpartyId, ethAdl.Quantity, ethAdl.Quote));
    }

    [Fact]
    public void Score_OfAnInsolventWhale_IsTheExactProduct_PastInt128()
    {
        // pnl 2^82 (a long upnl over a cost basis of 1) x lev 2^80 (notional 2^60 x 1e6, rounded up): 2^162.
        var pnl = Int128.One << 82;
        var lev = Int128.One << 80;
        var score = AdlScore.Product(pnl, lev);
        Assert.Equal(BigInteger.One << 162, score.ToBigInteger());
        Assert.True(score > AdlScore.Product(pnl, lev - 1));
        Assert.True(AdlScore.From(-5) < AdlScore.From(0));
        Assert.Equal(AdlScore.From(0), AdlScore.Product(1, 0));
        Assert.True(AdlScore.From(-1) < AdlScore.Product(1, 1));
    }

    [Fact]
    public void Score_ComparesLikeBigInteger_OnRandomFactors()
    {
        var random = new Random(19);
        var scores = new List<(AdlScore Score, BigInteger Exact)>();
        for (var k = 0; k < 2_000; k++)
        {
            if (random.Next(4) == 0)
            {
                var negative = -(Int128)random.NextInt64(0, long.MaxValue) * random.NextInt64(1, 1L << 40);
                scores.Add((AdlScore.From(negative), (BigInteger)negative));
                continue;
            }
            var a = ((Int128)random.NextInt64(1, long.MaxValue) << random.Next(0, 20)) + random.NextInt64();
            var b = ((Int128)random.NextInt64(0, long.MaxValue) << random.Next(0, 17)) + random.NextInt64(0, 1000);
            if (a <= 0 || b < 0) continue;
            scores.Add((AdlScore.Product(a, b), (BigInteger)a * (BigInteger)b));
        }
        foreach (var (score, exact) in scores) Assert.Equal(exact, score.ToBigInteger());
        for (var k = 1; k < scores.Count; k++)
            Assert.Equal(scores[k - 1].Exact.CompareTo(scores[k].Exact), scores[k - 1].Score.CompareTo(scores[k].Score));
    }
}
