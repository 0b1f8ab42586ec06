using Exchange.Core.Instruments;

namespace Exchange.Core.Tests.Accounts;

public class FixedPointTests
{
    [Theory]
    [InlineData(0L, 500L)]
    [InlineData(1L, 1L)]
    [InlineData(60_000_500L, 500L)]
    [InlineData(999_999L, 1L)]
    [InlineData((1L << 42) - 1, 1_000_000L)]
    [InlineData(1L << 42, 999_999L)]
    [InlineData(1L << 59, 123_457L)]
    public void PpmRounding_FastAndWidePaths_AgreeWithExactDivision(long notional, long ppm)
    {
        var product = new System.Numerics.BigInteger(notional) * ppm;
        var floor = System.Numerics.BigInteger.Divide(product, 1_000_000);
        var ceil = floor * 1_000_000 == product ? floor : floor + 1;
        Assert.Equal((long)ceil, FixedPoint.CeilPpm(notional, ppm));
        Assert.Equal((long)floor, FixedPoint.FloorPpm(notional, ppm));
    }

    [Fact]
    public void QuoteAndLongPpm_EqualTheInt128Expressions_OnBoundsAndRandomInputs()
    {
        // Quote was the cast of the Int128 product (its low 64 bits); the long CeilPpm and FloorPpm replace the Int128
        // methods for a fill's fees. Equal for every input, wrapping and negative operands included.
        long[] edges = [0, 1, -1, 2, 999_999, 1_000_000, (1L << 42) - 1, 1L << 42, -(1L << 42), 1L << 59, -(1L << 59),
            long.MaxValue, long.MinValue, long.MaxValue / 3, 3_037_000_499, 3_037_000_500];
        long[] ppms = [0, 1, 500, 999_999, 1_000_000, 1_000_001, 1L << 40, -1];
        var random = new Random(16);
        var values = new List<long>(edges);
        for (var i = 0; i < 2_000; i++)
            values.Add(random.Next(4) switch
            {
                0 => random.NextInt64(0, 1L << 42),
                1 => random.NextInt64(long.MinValue, long.MaxValue),
                2 => random.NextInt64(-(1L << 20), 1L << 20),
                _ => random.NextInt64(1L << 42, 1L << 62),
            });
        for (var i = 0; i < values.Count; i++)
        {
            var a = values[i];
            var b = values[(i * 7 + 3) % values.Count];
            var c = values[(i * 13 + 5) % values.Count];
            Assert.Equal((long)((Int128)a * b * c), FixedPoint.Quote(a, b, c));
            // The Int128 methods' own 128-bit paths throw for a product past Int128 (none of these: |a| x ppm < 2^127).
            foreach (var ppm in ppms)
            {
                if (ppm < 0 || ppm > 1L << 40) continue;
                Assert.Equal(FixedPoint.CeilPpm((Int128)a, ppm), FixedPoint.CeilPpm(a, ppm));
                Assert.Equal(FixedPoint.FloorPpm((Int128)a, ppm), FixedPoint.FloorPpm(a, ppm));
            }
        }
    }

    [Theory]
    [InlineData(0L, 0L)]
    [InlineData(1L, 50_000L)]
    [InlineData(120_000L, 50_000L)]
    [InlineData(120_001L, 999_999L)]
    [InlineData(999_999L, 1L)]
    [InlineData((1L << 42) - 1, 0L)]
    [InlineData((1L << 42) - 1, 1_000_000L)]
    [InlineData((1L << 42) - 1, 999_999L)]
    [InlineData(1L << 42, 1_000_000L)]
    [InlineData(1L << 42, 123_457L)]
    [InlineData(1L << 50, 50_000L)]
    public void Band_FastAndWidePaths_AgreeWithExactDivision(long mark, long ppm)
    {
        Assert.Equal((long)FixedPoint.FloorDiv((Int128)mark * (FixedPoint.Million + ppm), FixedPoint.Million), FixedPoint.BandHigh(mark, ppm));
        Assert.Equal((long)FixedPoint.CeilDiv((Int128)mark * (FixedPoint.Million - ppm), FixedPoint.Million), FixedPoint.BandLow(mark, ppm));
    }

    [Fact]
    public void FloorAndCeilDiv_RoundNegativeNumeratorsTheRightWay()
    {
        Assert.Equal(-2, (long)FixedPoint.FloorDiv(-3, 2));
        Assert.Equal(-1, (long)FixedPoint.CeilDiv(-3, 2));
        Assert.Equal(2, (long)FixedPoint.CeilDiv(3, 2));
        Assert.Equal(1, (long)FixedPoint.FloorDiv(3, 2));
        Assert.Equal(-2, (long)FixedPoint.FloorDiv(-4, 2));
    }

    [Fact]
    public void DivideByReciprocal_IsTheDivision_OnTheBoundsAndAtRandom()
    {
        var divisors = new List<ulong> { 1, 2, 3, 7, 10, 1_000_000, 6_500_000_000, (1UL << 32) - 1, 1UL << 32, (1UL << 32) + 1,
            (1UL << 62) + 1, long.MaxValue, 1UL << 63, (1UL << 63) + 1, ulong.MaxValue - 1, ulong.MaxValue };
        for (var k = 0; k < 64; k++) divisors.Add(1UL << k);
        var random = new Random(16);
        for (var k = 0; k < 200; k++) divisors.Add((ulong)random.NextInt64(1, long.MaxValue) >> random.Next(0, 63) | 1);
        var checkedCount = 0;
        foreach (var d in divisors)
        {
            var reciprocal = FixedPoint.ReciprocalOf(d);
            var numerators = new List<ulong> { 0, 1, d - 1, d, d + 1, ulong.MaxValue, ulong.MaxValue - 1, ulong.MaxValue - d };
            // Around multiples of d, where an estimate one short needs the correction.
            foreach (var m in new[] { 2UL, 3UL, 1_000UL, ulong.MaxValue / d, ulong.MaxValue / d - 1, (ulong)random.NextInt64() % (ulong.MaxValue / d) })
            {
                var product = (UInt128)m * d;
                if (product > ulong.MaxValue) continue;
                numerators.Add((ulong)product);
                if (product > 0) numerators.Add((ulong)product - 1);
                if (product < ulong.MaxValue) numerators.Add((ulong)product + 1);
            }
            for (var k = 0; k < 50; k++) numerators.Add((ulong)random.NextInt64() << 1 ^ (ulong)random.Next(2));
            foreach (var n in numerators)
            {
                var split = FixedPoint.DivideByReciprocal(n, d, reciprocal);
                Assert.Equal(n / d, split.High);
                Assert.Equal(n % d, split.Low);
                checkedCount++;
            }
        }
        Assert.True(checkedCount > 20_000);
    }

    [Fact]
    public void MultiplyHigh_IsTheHighHalfOfTheProduct()
    {
        var random = new Random(64);
        foreach (var (a, b) in new[] { (0UL, 0UL), (ulong.MaxValue, ulong.MaxValue), (1UL << 32, 1UL << 32), (ulong.MaxValue, 2UL) })
            Assert.Equal((ulong)(((UInt128)a * b) >> 64), FixedPoint.MultiplyHigh(a, b));
        for (var k = 0; k < 1_000; k++)
        {
            var a = (ulong)random.NextInt64() << 1 ^ (ulong)random.Next(2);
            var b = (ulong)random.NextInt64() << 1 ^ (ulong)random.Next(2);
            Assert.Equal((ulong)(((UInt128)a * b) >> 64), FixedPoint.MultiplyHigh(a, b));
        }
    }
}
