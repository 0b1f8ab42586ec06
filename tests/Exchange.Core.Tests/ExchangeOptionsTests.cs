namespace Exchange.Core.Tests;

/// <summary><see cref="ExchangeOptions.Validate"/> refuses every setting out of its range, naming it.</summary>
public class ExchangeOptionsTests
{
    [Fact]
    public void Defaults_AreValid()
    {
        new ExchangeOptions().Validate();
        Assert.Equal(1L << 62, new ExchangeOptions().MaxTotalHeld);
    }

    public static TheoryData<ExchangeOptions, string> Invalid => new()
    {
        { new ExchangeOptions { AccountCapacity = 0 }, "AccountCapacity" },
        { new ExchangeOptions { MaxAccountId = 0 }, "MaxAccountId" },
        { new ExchangeOptions { OrderCapacity = 0 }, "OrderCapacity" },
        { new ExchangeOptions { LevelCapacity = -1 }, "LevelCapacity" },
        { new ExchangeOptions { MaxInstruments = 0 }, "MaxInstruments" },
        { new ExchangeOptions { MaxInstruments = 65 }, "MaxInstruments" },
        { new ExchangeOptions { MaxOpenOrdersPerAccount = 0 }, "MaxOpenOrdersPerAccount" },
        { new ExchangeOptions { MaxFundingRatePpm = -1 }, "MaxFundingRatePpm" },
        { new ExchangeOptions { MaxFundingRatePpm = 1_000_001 }, "MaxFundingRatePpm" },
        { new ExchangeOptions { MaxTotalHeld = 0 }, "MaxTotalHeld" },
        { new ExchangeOptions { MaxTotalHeld = (1L << 62) + 1 }, "MaxTotalHeld" },
        { new ExchangeOptions { CollateralDecimals = -1 }, "CollateralDecimals" },
        { new ExchangeOptions { CollateralDecimals = 19 }, "CollateralDecimals" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void OutOfRange_IsRefused_NamingTheSetting(ExchangeOptions options, string setting)
    {
        var e = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains(setting, e.Message);
        Assert.Throws<ArgumentException>(() => new Exchange(options));
    }

    [Theory]
    [InlineData(18, 9)]
    [InlineData(10, 9)]
    public void Decimals_WhoseUnitLeavesTheHeldBoundNoUsefulRange_AreRefused_SuggestingFewer(int decimals, int suggested)
    {
        // 2^62 units at 18 decimals are 4.6 tokens; at 10 decimals 4.6e8, still under the 10^9 tokens required.
        var e = Assert.Throws<ArgumentException>(new ExchangeOptions { CollateralDecimals = decimals }.Validate);
        Assert.Contains("use fewer decimals", e.Message);
        Assert.Contains($"at most {suggested})", e.Message);
    }

    [Theory]
    [InlineData(0, 1_000_000_000)]
    [InlineData(9, 1L << 62)]
    [InlineData(6, 1_000_000_000_000_000)]
    public void HeldBound_ThatHoldsABillionTokens_IsAccepted(int decimals, long maxTotalHeld) =>
        new ExchangeOptions { CollateralDecimals = decimals, MaxTotalHeld = maxTotalHeld }.Validate();

    [Fact]
    public void HeldBound_OneUnitShortOfABillionTokens_IsRefused() =>
        Assert.Throws<ArgumentException>(new ExchangeOptions { CollateralDecimals = 6, MaxTotalHeld = 999_999_999_999_999 }.Validate);
}
