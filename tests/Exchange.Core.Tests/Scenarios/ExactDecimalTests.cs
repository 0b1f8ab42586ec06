using System.Numerics;
using Exchange.Gateway.Scenarios;

namespace Exchange.Core.Tests.Scenarios;

/// <summary>Exact parsing, unit counting and formatting of human decimal amounts.</summary>
public sealed class ExactDecimalTests
{
    [Theory]
    [InlineData("0", "0")]
    [InlineData("60000", "60000")]
    [InlineData("0.50", "0.5")]
    [InlineData("-0.0001", "-0.0001")]
    [InlineData("+12.340", "12.34")]
    [InlineData("000.5", "0.5")]
    public void Parse_PlainDecimals_KeepsTheExactValue(string text, string shortest)
    {
        Assert.True(ExactDecimal.TryParse(text, out var value));
        Assert.Equal(shortest, value.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData(".")]
    [InlineData("1.")]
    [InlineData(".1")]
    [InlineData("1e5")]
    [InlineData("1.2.3")]
    [InlineData("--1")]
    [InlineData("1_000")]
    [InlineData("NaN")]
    [InlineData("٣")]
    public void Parse_AnythingElse_Fails(string text)
    {
        Assert.False(ExactDecimal.TryParse(text, out _));
    }

    [Fact]
    public void Parse_HugeNumbers_AreRefusedBeforeAnyWork()
    {
        Assert.False(ExactDecimal.TryParse(new string('9', 65), out _));
        Assert.True(ExactDecimal.TryParse(new string('9', 40), out var big));
        Assert.True(big.TryCount(new ExactDecimal(1, 6), out var units));
        Assert.Equal(BigInteger.Parse(new string('9', 40) + "000000"), units);
    }

    [Theory]
    [InlineData("60000.5", "0.5", true, 120001)]
    [InlineData("60000.25", "0.5", false, 0)]
    [InlineData("1.234", "0.001", true, 1234)]
    [InlineData("1.2345", "0.001", false, 0)]
    [InlineData("100", "0.000001", true, 100_000_000)]
    [InlineData("0.0000001", "0.000001", false, 0)]
    [InlineData("7.5", "2.5", true, 3)]
    [InlineData("7", "2.5", false, 0)]
    [InlineData("-3", "1", true, -3)]
    public void TryCount_WholeMultiplesOnly(string value, string unit, bool whole, long count)
    {
        Assert.True(ExactDecimal.TryParse(value, out var v));
        Assert.True(ExactDecimal.TryParse(unit, out var u));
        Assert.Equal(whole, v.TryCount(u, out var n));
        if (whole) Assert.Equal(count, (long)n);
    }

    [Theory]
    [InlineData("0.5", 120001, "60000.5")]
    [InlineData("0.5", 120000, "60000.0")]
    [InlineData("0.001", -617, "-0.617")]
    [InlineData("0.000001", -1, "-0.000001")]
    [InlineData("0.000001", 0, "0.000000")]
    [InlineData("1", 93, "93")]
    [InlineData("2.5", 3, "7.5")]
    [InlineData("10", 3, "30")]
    public void Format_WritesCountTimesUnitWithTheUnitsDecimals(string unit, long count, string expected)
    {
        Assert.True(ExactDecimal.TryParse(unit, out var u));
        Assert.Equal(expected, u.Format(count));
    }

    [Theory]
    [InlineData("0.0005", 500, true)]
    [InlineData("-0.0001", -100, true)]
    [InlineData("0.10", 100_000, true)]
    [InlineData("0.0000005", 0, false)]
    public void TryScaleToInteger_ConvertsRatesToWholePpm(string rate, long ppm, bool whole)
    {
        Assert.True(ExactDecimal.TryParse(rate, out var r));
        Assert.Equal(whole, r.TryScaleToInteger(6, out var p));
        if (whole) Assert.Equal(ppm, (long)p);
    }
}
