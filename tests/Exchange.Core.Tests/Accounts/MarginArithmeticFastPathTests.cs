using System.Numerics;
using Exchange.Core.Instruments;

namespace Exchange.Core.Tests.Accounts;

/// <summary>
/// The 64-bit forms of the margin terms against the Int128 expressions they replace and against BigInteger:
/// <see cref="FixedPoint.Upnl"/> is <c>(long)((Int128)q * m * tv - C)</c> for every input (the same value modulo 2^64),
/// and a notional below 2^42 from <see cref="FixedPoint.SmallNotional"/> rounds as <see cref="FixedPoint.CeilPpm(Int128, long)"/> does
/// with the Int128 notional; outside that bound SmallNotional says no.
/// </summary>
public sealed class MarginArithmeticFastPathTests
{
    private const long Fast = 1L << 42;

    private static long AnyMagnitude(Random r, int maxBits)
    {
        var bits = r.Next(0, maxBits + 1);
        return bits == 0 ? 0 : (long)((ulong)r.NextInt64() >> (64 - bits)) & long.MaxValue;
    }

    private static long Signed(Random r, int maxBits) => AnyMagnitude(r, maxBits) * (r.Next(2) == 0 ? 1 : -1);

    private static void AssertSame(long q, long m, long tv, long cost, long ppm)
    {
        var exactUpnl = (long)((Int128)q * m * tv - cost);
        Assert.Equal(exactUpnl, FixedPoint.Upnl(q, m, tv, cost));
        // The same number modulo 2^64, from BigInteger.
        var big = ((BigInteger)q * m * tv - cost) & ulong.MaxValue;
        Assert.Equal((ulong)big, unchecked((ulong)exactUpnl));

        var product = BigInteger.Abs((BigInteger)q * m * tv);
        var first = (BigInteger)(q < 0 ? unchecked(0UL - (ulong)q) : (ulong)q) * unchecked((ulong)m);
        var unsignedProduct = first * unchecked((ulong)tv);
        if (FixedPoint.SmallNotional(q, m, tv, out var notional))
        {
            Assert.True(notional >= 0 && notional < Fast, $"{q} x {m} x {tv}: {notional}");
            Assert.Equal(product, (BigInteger)notional);
            if (ppm >= 0 && product * ppm < BigInteger.One << 100)
                Assert.Equal(FixedPoint.CeilPpm(Int128.Abs((Int128)q * m * tv), ppm), FixedPoint.CeilPpmSmall(notional, ppm));
        }
        else
            // It declines only when the product of the unsigned readings is 2^42 or more, or its first factor pair
            // passes 64 bits (then the Int128 path decides, whatever the tick value).
            Assert.True(unsignedProduct >= Fast || first > ulong.MaxValue, $"{q} x {m} x {tv} declined");
    }

    [Fact]
    public void Upnl_AndSmallNotional_EqualTheInt128Path_OnRandomInputsOfEveryMagnitude()
    {
        var r = new Random(4242);
        var small = 0;
        for (var n = 0; n < 200_000; n++)
        {
            var q = Signed(r, r.Next(4) == 0 ? 63 : 30);
            var m = r.Next(10) == 0 ? Signed(r, 63) : AnyMagnitude(r, r.Next(2) == 0 ? 63 : 30);
            var tv = r.Next(10) == 0 ? Signed(r, 63) : AnyMagnitude(r, r.Next(2) == 0 ? 63 : 20);
            var cost = Signed(r, 63);
            var ppm = r.Next(8) == 0 ? AnyMagnitude(r, 40) : r.NextInt64(0, 1_000_001);
            if (FixedPoint.SmallNotional(q, m, tv, out _)) small++;
            AssertSame(q, m, tv, cost, ppm);
        }
        Assert.True(small > 20_000, $"only {small} inputs took the 64-bit notional");
    }

    [Fact]
    public void Upnl_AndSmallNotional_EqualTheInt128Path_AtTheBoundsOfTheirProofs()
    {
        long[] lots = [0, 1, -1, 2, -2, Fast - 1, Fast, -Fast, 1L << 21, (1L << 21) + 1, long.MaxValue, long.MinValue, -long.MaxValue];
        long[] prices = [0, 1, -1, 133_000, Fast - 1, Fast, 1L << 21, long.MaxValue, long.MinValue];
        long[] tvs = [0, 1, -1, 500, 1L << 21, Fast - 1, Fast, long.MaxValue, long.MinValue];
        long[] costs = [0, 1, -1, long.MaxValue, long.MinValue, 60_000_000];
        long[] ppms = [0, 1, 50_000, 999_999, 1_000_000, 1_000_001, 1L << 30];
        foreach (var q in lots)
            foreach (var m in prices)
                foreach (var tv in tvs)
                    foreach (var c in costs)
                        foreach (var ppm in ppms)
                            AssertSame(q, m, tv, c, ppm);
        // Right below and at the bound.
        Assert.True(FixedPoint.SmallNotional(1, Fast - 1, 1, out var below) && below == Fast - 1);
        Assert.False(FixedPoint.SmallNotional(1, Fast, 1, out _));
        Assert.False(FixedPoint.SmallNotional(-1, -1, 1, out _));
    }

    /// <summary>
    /// <see cref="FixedPoint.Multiply"/> (one 64-bit multiplication when both factors are below 2^32, else BigMul out of
    /// line) is the unsigned 128-bit product for every input: on the 2^32 bound of each factor, on random factors of
    /// every size and against BigInteger. A mutant taking the short path up to 2^33 fails here.
    /// </summary>
    [Fact]
    public void Multiply_IsTheExact128BitProduct_OnTheBoundAndEveryMagnitude()
    {
        static void Check(ulong a, ulong b)
        {
            var wide = FixedPoint.Multiply(a, b);
            var high = Math.BigMul(a, b, out var low);
            Assert.Equal(high, wide.High);
            Assert.Equal(low, wide.Low);
            Assert.Equal((BigInteger)a * b, ((BigInteger)wide.High << 64) + wide.Low);
        }
        ulong[] edges = [0, 1, 2, (1UL << 31) - 1, 1UL << 31, (1UL << 32) - 2, (1UL << 32) - 1, 1UL << 32, (1UL << 32) + 1,
            (1UL << 33) - 1, 1UL << 33, (1UL << 63) - 1, 1UL << 63, ulong.MaxValue - 1, ulong.MaxValue];
        foreach (var a in edges)
            foreach (var b in edges)
                Check(a, b);
        var r = new Random(3232);
        var wideCount = 0;
        for (var n = 0; n < 200_000; n++)
        {
            var a = (ulong)r.NextInt64() >> r.Next(0, 64) | (r.Next(2) == 0 ? 0 : 1UL << 63) >> r.Next(0, 64);
            var b = (ulong)r.NextInt64() >> r.Next(0, 64) | (r.Next(2) == 0 ? 0 : 1UL << 63) >> r.Next(0, 64);
            Check(a, b);
            if (((a | b) >> 32) != 0 && Math.BigMul(a, b, out _) != 0) wideCount++;
        }
        // Both paths were taken often.
        Assert.True(wideCount > 20_000, $"wide products: {wideCount}");
    }

    /// <summary>
    /// <see cref="FixedPoint.MulDiv"/> (a fill's pro-rata share of a cost basis or quote) is <c>(long)((Int128)a * b / c)</c>
    /// for every input, and <see cref="FixedPoint.Product"/> (an order's loss) is <c>(Int128)a * b * c</c>: against the
    /// Int128 expressions and BigInteger, on the bounds of their 64-bit paths (|a| x b at 2^64, a product at 2^64, the
    /// signs) and on random inputs of every magnitude, where both paths are taken often.
    /// </summary>
    [Fact]
    public void MulDivAndProduct_EqualTheInt128Expressions_OnTheBoundsAndEveryMagnitude()
    {
        static void CheckMulDiv(long a, long b, long c)
        {
            if (c == 0) return;
            var exact = (Int128)a * b / c;
            Assert.Equal((long)exact, FixedPoint.MulDiv(a, b, c));
            // Truncation toward zero, from BigInteger (whose division truncates too), low 64 bits.
            var big = BigInteger.Divide((BigInteger)a * b, c) & ulong.MaxValue;
            Assert.Equal((ulong)big, unchecked((ulong)FixedPoint.MulDiv(a, b, c)));
        }
        static void CheckProduct(long a, long b, long c)
        {
            Assert.Equal((Int128)a * b * c, FixedPoint.Product(a, b, c));
            var big = (BigInteger)a * b * c;
            if (BigInteger.Abs(big) < BigInteger.One << 126) Assert.Equal(big, (BigInteger)FixedPoint.Product(a, b, c));
        }
        long[] edges = [0, 1, -1, 2, -2, 3, (1L << 31) - 1, 1L << 31, (1L << 32) - 1, 1L << 32, (1L << 32) + 1, 1L << 42,
            (1L << 62) + 3, long.MaxValue, long.MaxValue - 1, long.MinValue, long.MinValue + 1, -(1L << 32), 60_000_000_000];
        foreach (var a in edges)
            foreach (var b in edges)
                foreach (var c in edges)
                {
                    CheckMulDiv(a, b, c);
                    CheckProduct(a, b, c);
                }
        // |a| x b right below and at 2^64 (the 64-bit path's bound), with the quotient past 2^63 for c = 1.
        CheckMulDiv(-(1L << 32) + 1, (1L << 32) + 1, 1);
        CheckMulDiv(1L << 32, 1L << 32, 3);
        CheckMulDiv(-(1L << 32), 1L << 32, 3);
        CheckMulDiv(long.MinValue, 1, 1);
        CheckMulDiv(long.MinValue, 2, 7);
        var r = new Random(5151);
        int fastMulDiv = 0, fastProduct = 0;
        for (var n = 0; n < 200_000; n++)
        {
            var a = Signed(r, r.Next(3) == 0 ? 63 : 40);
            var b = r.Next(10) == 0 ? Signed(r, 63) : AnyMagnitude(r, r.Next(2) == 0 ? 63 : 24);
            var c = r.Next(10) == 0 ? Signed(r, 63) : AnyMagnitude(r, r.Next(2) == 0 ? 63 : 24);
            CheckMulDiv(a, b, c);
            CheckProduct(a, b, c);
            if (b >= 0 && c > 0 && (BigInteger)BigInteger.Abs(a) * b <= ulong.MaxValue) fastMulDiv++;
            if ((a | b | c) >= 0 && (BigInteger)a * b * c <= ulong.MaxValue) fastProduct++;
        }
        Assert.True(fastMulDiv > 20_000 && fastProduct > 20_000, $"64-bit paths: MulDiv {fastMulDiv}, Product {fastProduct}");
    }
}
