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
