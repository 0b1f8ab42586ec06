using Exchange.Gateway.Configuration;

namespace Exchange.Gateway.Tests;

/// <summary>The gateway refuses at start a configuration the core's options refuse.</summary>
public class GatewayConfigTests
{
    [Fact]
    public void DefaultConfiguration_IsValid_AndCarriesItsDecimalsToTheCore()
    {
        var config = ConfigLoader.Default();
        config.Validate();
        Assert.Equal(config.Decimals, config.ToExchangeOptions().CollateralDecimals);
    }

    [Fact]
    public void Decimals_WhoseUnitLeavesTheHeldBoundNoUsefulRange_AreRefused_SuggestingFewer()
    {
        var e = Assert.Throws<InvalidDataException>((ConfigLoader.Default() with { Decimals = 10 }).Validate);
        Assert.Contains("use fewer decimals (at most 9)", e.Message);
    }
}
