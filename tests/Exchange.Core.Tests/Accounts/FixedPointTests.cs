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
}
