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
    public void FloorAndCeilDiv_RoundNegativeNumeratorsTheRightWay()
    {
        Assert.Equal(-2, (long)FixedPoint.FloorDiv(-3, 2));
        Assert.Equal(-1, (long)FixedPoint.CeilDiv(-3, 2));
        Assert.Equal(2, (long)FixedPoint.CeilDiv(3, 2));
        Assert.Equal(1, (long)FixedPoint.FloorDiv(3, 2));
        Assert.Equal(-2, (long)FixedPoint.FloorDiv(-4, 2));
    }
}
