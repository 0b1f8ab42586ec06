using System.Numerics;
using Exchange.Core.Liquidation;
using Exchange.Testing;
using FsCheck;
using FsCheck.Fluent;

namespace Exchange.Core.Tests.Liquidation;

/// <summary>
/// The ADL score's 64-bit path (<see cref="AdlScore.Of"/>) against its exact 128/256-bit path
/// (<see cref="AdlScore.OfExact"/>) and against RULEBOOK section 8 step 3 written in BigInteger; and the
/// socializer's selection of the largest remainders against a full sort.
/// </summary>
public class AdlFastPathTests
{
    private const long Limit = long.MaxValue / 1_000_000;

    /// <summary>The rulebook's score, in BigInteger (division truncates toward zero, as the rulebook's does).</summary>
    private static BigInteger Rulebook(long upnl, long cost, long qty, long mark, long tickValue, long equity)
    {
        var pnl = BigInteger.Divide((BigInteger)upnl * 1_000_000, BigInteger.Max(BigInteger.Abs(cost), 1));
        var lev = BigInteger.Divide(BigInteger.Abs(qty) * (BigInteger)mark * tickValue * 1_000_000, BigInteger.Max(equity, 1));
        return pnl > 0 ? pnl * lev : BigInteger.Divide(pnl * 1_000_000, BigInteger.Max(lev, 1));
    }

    private static void AssertSame(long upnl, long cost, long qty, long mark, long tickValue, long equity)
    {
        var fast = AdlScore.Of(upnl, cost, qty, mark, tickValue, equity);
        var exact = AdlScore.OfExact(upnl, cost, qty, mark, tickValue, equity);
        Assert.True(fast == exact, $"Of({upnl}, {cost}, {qty}, {mark}, {tickValue}, {equity}) = {fast}, exact {exact}");
        Assert.Equal(Rulebook(upnl, cost, qty, mark, tickValue, equity), exact.ToBigInteger());
    }

    /// <summary>A long spread over every magnitude: uniform bit length, then uniform below it, random sign.</summary>
    private static long AnyMagnitude(Random r, bool signed)
    {
        var bits = r.Next(0, 64);
        var v = bits == 0 ? 0 : (long)((ulong)r.NextInt64() >> (64 - bits)) & long.MaxValue;
        return signed && r.Next(2) == 0 ? -v : v;
    }

    [Fact]
    public void Of_EqualsTheExactPath_OnRandomInputsOfEveryMagnitude()
    {
        var r = new Random(16);
        for (var k = 0; k < 200_000; k++)
        {
            // Notionals are at most 2^60 in the core (quantities and marks are bounded by the instrument), so keep
            // |q| x m x tick_value inside Int128's reach the way the exact path assumes; everything else is free.
            var qty = AnyMagnitude(r, signed: true) >> r.Next(0, 40);
            var mark = AnyMagnitude(r, signed: false) >> r.Next(0, 40);
            var tickValue = AnyMagnitude(r, signed: false) >> r.Next(20, 63);
            if ((BigInteger.Abs(qty) * mark * tickValue).GetBitLength() > 100) continue;
            AssertSame(AnyMagnitude(r, true), AnyMagnitude(r, true), qty, mark, tickValue, AnyMagnitude(r, true));
        }
    }

    [Fact]
    public void Of_EqualsTheExactPath_AtTheBoundsOfItsProof()
    {
        long[] upnls = [0, 1, -1, Limit, Limit + 1, -Limit, -Limit - 1, long.MaxValue, long.MinValue, 6_500_000_000];
        long[] costs = [0, 1, -1, 2, 999_999, 1_000_000, -Limit, long.MaxValue, -long.MaxValue, 60_000_000_000];
        long[] qtys = [0, 1, -1, 10, -1_000_000, 1L << 31, -(1L << 40)];
        long[] marks = [0, 1, 120_000, 133_000, 1L << 22, 1L << 32];
        long[] tickValues = [1, 10, 500, 1L << 20];
        long[] equities = [long.MinValue, -1, 0, 1, 2, 1_000_000_000, Limit, long.MaxValue];
        foreach (var u in upnls)
            foreach (var c in costs)
                foreach (var q in qtys)
                    foreach (var m in marks)
                        foreach (var tv in tickValues)
                            foreach (var e in equities)
                                AssertSame(u, c, q, m, tv, e);
        // The notional right at, and one past, the 64-bit path's limit.
        AssertSame(5, 7, Limit, 1, 1, 3);
        AssertSame(5, 7, Limit + 1, 1, 1, 3);
        AssertSame(-5, 7, -Limit, 1, 1, 1);
        // pnl right at -L and one below (cost 1e6 makes pnl = upnl).
        AssertSame(-Limit, 1_000_000, 1, 1, 1, 1);
        AssertSame(-Limit - 1, 1_000_000, 1, 1, 1, 1);
    }

    [Fact]
    public void QueueScores_EqualTheExactPath_ForEveryHolder_ThroughRandomAndWhaleScenarios()
    {
        int checkedHolders = 0, wide = 0;
        void Run(Scenario s)
        {
            var core = ScenarioDriver.NewCore(s);
            var driver = new ScenarioDriver(s, core);
            foreach (var intent in s.Intents)
            {
                var c = driver.Next(intent);
                core.Apply(in c);
                for (var i = 0; i < core.InstrumentTable.Count; i++)
                    foreach (var longs in new[] { true, false })
                    {
                        var ranked = core.AdlQueueOf(i, longs).ToArray();
                        var ins = core.InstrumentTable[i];
                        var exact = new List<AdlRank>();
                        foreach (var rank in ranked)
                        {
                            var a = rank.AccountId;
                            ref var p = ref core.AccountStore.Position(a, i);
                            var score = AdlScore.OfExact(core.Upnl(a, i), p.Cost, p.Qty, ins.Mark, ins.TickValue, core.Equity(a));
                            Assert.True(score == rank.Score, $"account {a} instrument {i}: queue {rank.Score}, exact {score}");
                            exact.Add(new AdlRank(score, a));
                            checkedHolders++;
                            var notional = BigInteger.Abs((BigInteger)p.Qty * ins.Mark * ins.TickValue);
                            if (notional > Limit || Math.Abs(core.Upnl(a, i)) > Limit) wide++;
                        }
                        exact.Sort();
                        Assert.Equal(exact, ranked);
                    }
            }
            InvariantChecker.Check(core);
        }

        var config = Config.QuickThrowOnFailure.WithMaxTest(15).WithQuietOnSuccess(true);
        Prop.ForAll(Generators.Scenarios(LossPolicy.Adl, 100, 150), Run).Check(config);
        Prop.ForAll(Generators.InsolventWhaleScenarios(LossPolicy.Socialize), Run).Check(config);
        Assert.True(checkedHolders > 3_000, $"only {checkedHolders} holder scores compared");
        // The whales reached the exact path: a notional or upnl past the 64-bit path's bound.
        Assert.True(wide > 0, $"no holder past the 64-bit bounds among {checkedHolders}");
    }

    [Fact]
    public void SelectBest_PutsTheLeftoverLargestRemaindersFirst_LikeAFullSort()
    {
        var r = new Random(4);
        for (var k = 0; k < 3_000; k++)
        {
            var n = r.Next(1, k % 10 == 0 ? 2_000 : 60);
            // Few distinct values: many ties, broken by account id as in the full order.
            var values = r.Next(1, 5) == 1 ? 3 : 1_000_000;
            var items = new Socializer.Remainder[n];
            var ids = Enumerable.Range(1, 3 * n).OrderBy(_ => r.Next()).Take(n).ToArray();
            for (var i = 0; i < n; i++) items[i] = new Socializer.Remainder(r.Next(values), ids[i], r.Next(100));
            // Sorted inputs (ascending and descending) as well: the pivot must not degrade.
            if (k % 7 == 0) Array.Sort(items);
            if (k % 7 == 1) Array.Reverse(items);
            var take = r.Next(0, n + 1);
            var sorted = items.OrderBy(x => x).ToArray();
            var selected = items.ToArray();
            Socializer.SelectBest(selected, take);
            Assert.Equal(sorted.Take(take).ToHashSet(), selected.Take(take).ToHashSet());
            Assert.Equal(sorted.ToHashSet(), selected.ToHashSet());
        }
    }
}
