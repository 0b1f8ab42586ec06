using System.Numerics;
using Exchange.Core.Risk;

namespace Exchange.Core.Tests.Risk;

/// <summary>
/// The liquidation index's trigger distance in 64 bits (<see cref="LiquidationIndex.TriggerDelta(Int128, int, long, long, long, long)"/>) against its Int128
/// path (<see cref="LiquidationIndex.TriggerDeltaExact"/>) and against the formula of the index written in
/// BigInteger: Δ = min(floor(floor(S / k) / r), max_price + 1), r = |q| x tv + ceil(|q| x tv x mmr / 1e6).
/// </summary>
public class LiquidationIndexFastPathTests
{
    private const long FastPerTick = 1L << 42;

    private static BigInteger Formula(BigInteger slack, int k, long qty, long tickValue, long mmrPpm, long maxPrice)
    {
        var share = BigInteger.Divide(slack, k); // slack >= 0: truncation is the floor
        var perTick = BigInteger.Abs(qty) * tickValue;
        var product = perTick * mmrPpm;
        var ceil = BigInteger.Divide(product + 999_999, 1_000_000);
        var delta = BigInteger.Divide(share, perTick + ceil);
        return BigInteger.Min(delta, (BigInteger)maxPrice + 1);
    }

    private static void AssertSame(Int128 slack, int k, long qty, long tickValue, long mmrPpm, long maxPrice)
    {
        var fast = LiquidationIndex.TriggerDelta(slack, k, qty, tickValue, mmrPpm, maxPrice);
        var exact = LiquidationIndex.TriggerDeltaExact(slack, k, qty, tickValue, mmrPpm, maxPrice);
        Assert.True(fast == exact, $"TriggerDelta({slack}, {k}, {qty}, {tickValue}, {mmrPpm}, {maxPrice}) = {fast}, exact {exact}");
        // The 64-bit overload (the re-evaluation's, for E - MM as a long) agrees wherever the slack is a long.
        if (slack >= long.MinValue && slack <= long.MaxValue)
        {
            var narrow = LiquidationIndex.TriggerDelta((long)slack, k, qty, tickValue, mmrPpm, maxPrice);
            Assert.True(narrow == exact, $"TriggerDelta((long){slack}, {k}, {qty}, {tickValue}, {mmrPpm}, {maxPrice}) = {narrow}, exact {exact}");
        }
        Assert.Equal(Formula((BigInteger)slack, k, qty, tickValue, mmrPpm, maxPrice), (BigInteger)exact);
    }

    private static long AnyMagnitude(Random r, int maxBits)
    {
        var bits = r.Next(0, maxBits + 1);
        return bits == 0 ? 0 : (long)((ulong)r.NextInt64() >> (64 - bits)) & long.MaxValue;
    }

    [Fact]
    public void TriggerDelta_EqualsTheExactPath_OnRandomInputsOfEveryMagnitude()
    {
        var r = new Random(1616);
        var fastTaken = 0;
        for (var n = 0; n < 200_000; n++)
        {
            // Inputs the exact path accepts: a slack that is the difference of two longs, a non-zero per-tick cost,
            // a product |q| x tv x mmr inside Int128, a max price whose + 1 does not wrap (the core bounds it far lower).
            Int128 slack = r.Next(8) == 0 ? (Int128)AnyMagnitude(r, 63) + AnyMagnitude(r, 63) : AnyMagnitude(r, 63);
            var k = r.Next(4) == 0 ? r.Next(1, 65) : 1;
            var qty = Math.Max(1, AnyMagnitude(r, 62)) * (r.Next(2) == 0 ? 1 : -1);
            var tickValue = Math.Max(1, AnyMagnitude(r, 45));
            var mmr = r.Next(6) == 0 ? AnyMagnitude(r, 40) : r.NextInt64(0, 1_000_001);
            var maxPrice = r.Next(3) == 0 ? AnyMagnitude(r, 63) - 1 : 1L << r.Next(1, 50);
            if (maxPrice < 0 || BigInteger.Abs(qty) * tickValue * mmr >= BigInteger.One << 120) continue;
            if (slack <= long.MaxValue && mmr <= 1_000_000 && BigInteger.Abs(qty) * tickValue < FastPerTick) fastTaken++;
            AssertSame(slack, k, qty, tickValue, mmr, maxPrice);
        }
        Assert.True(fastTaken > 20_000, $"only {fastTaken} inputs took the 64-bit path");
    }

    [Fact]
    public void TriggerDelta_EqualsTheExactPath_AtTheBoundsOfItsProof()
    {
        Int128[] slacks = [0, 1, 999_999, 1_000_000, long.MaxValue - 1, long.MaxValue, (Int128)long.MaxValue + 1, (Int128)long.MaxValue * 2];
        int[] ks = [1, 2, 3, 64];
        // |q| x tv right below, at and above 2^42.
        (long Qty, long Tv)[] sizes =
        [
            (1, 1), (-1, 1), (1, FastPerTick - 1), (1, FastPerTick), (1, FastPerTick + 1), (FastPerTick - 1, 1),
            (-FastPerTick, 1), (1L << 21, 1L << 21), ((1L << 21) + 1, 1L << 21), (10, 500), (-1_000_000, 1_000),
            (long.MaxValue, 1), (-long.MaxValue, 1), (1L << 32, 1L << 31),
        ];
        long[] mmrs = [0, 1, 50_000, 999_999, 1_000_000, 1_000_001, 1L << 30];
        long[] maxPrices = [1, 1_000_000, 1L << 40, long.MaxValue - 2, long.MaxValue - 1];
        foreach (var s in slacks)
            foreach (var k in ks)
                foreach (var (q, tv) in sizes)
                    foreach (var mmr in mmrs)
                        foreach (var mp in maxPrices)
                        {
                            if (BigInteger.Abs(q) * tv * mmr >= BigInteger.One << 126) continue;
                            AssertSame(s, k, q, tv, mmr, mp);
                        }
    }

    /// <summary>
    /// A capped delta is found without dividing (share &gt;= (max_price + 1) x rate): right below, at and above that
    /// product for random rates and caps, one and several positions, against the exact path and BigInteger. A mutant
    /// testing share &gt;= cap x rate - 1 fails here.
    /// </summary>
    [Fact]
    public void TriggerDelta_AtTheCap_EqualsTheExactPath()
    {
        var r = new Random(777);
        var capped = 0;
        for (var n = 0; n < 20_000; n++)
        {
            var qty = r.Next(2) == 0 ? r.NextInt64(1, 1_000) : -r.NextInt64(1, 1L << 20);
            var tv = r.NextInt64(1, 1L << r.Next(1, 21));
            var mmr = r.NextInt64(0, 1_000_001);
            var maxPrice = r.Next(4) == 0 ? r.NextInt64(0, 1L << 40) : r.NextInt64(0, 2_000_000);
            var k = r.Next(3) == 0 ? r.Next(2, 9) : 1;
            var perTick = (BigInteger)Math.Abs(qty) * tv;
            var rate = perTick + (perTick * mmr + 999_999) / 1_000_000;
            var atCap = ((BigInteger)maxPrice + 1) * rate * k;
            for (var d = -2; d <= 2; d++)
            {
                var slack = atCap + d;
                if (slack < 0 || slack > long.MaxValue) continue;
                AssertSame((Int128)slack, k, qty, tv, mmr, maxPrice);
                if (LiquidationIndex.TriggerDelta((Int128)slack, k, qty, tv, mmr, maxPrice) == maxPrice + 1) capped++;
            }
        }
        Assert.True(capped > 5_000, $"capped: {capped}");
    }
}
