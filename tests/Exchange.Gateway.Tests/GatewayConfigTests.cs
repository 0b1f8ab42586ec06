using Exchange.Gateway.Configuration;
using WalMemory = Exchange.Cluster.WalMemory;

namespace Exchange.Gateway.Tests;

/// <summary>The gateway refuses at start a configuration the core's options refuse.</summary>
public class GatewayConfigTests
{
    [Theory]
    [InlineData(null, WalMemory.Shared)]
    [InlineData("\"shared\"", WalMemory.Shared)]
    [InlineData("\"private\"", WalMemory.Private)]
    public void ClusterSection_WalMemory_IsSharedUnlessSaidPrivate(string? value, WalMemory expected)
    {
        var path = Path.Combine(Path.GetTempPath(), $"cluster-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, ClusterJson(value));
        try
        {
            Assert.Equal(expected, (ConfigLoader.LoadCluster(path) with { NodeId = 1 }).ToOptions().WalMemory);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ClusterSection_WalMemory_OtherThanSharedOrPrivate_IsRefusedNamingTheKey()
    {
        var path = Path.Combine(Path.GetTempPath(), $"cluster-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, ClusterJson("\"mapped\""));
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => (ConfigLoader.LoadCluster(path) with { NodeId = 1 }).Validate());
            Assert.Contains("walMemory 'mapped'", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string ClusterJson(string? walMemory) =>
        "{ \"members\": [ { \"id\": 1, \"raft\": \"127.0.0.1:9109\", \"client\": \"127.0.0.1:9100\" } ]" +
        (walMemory is null ? "" : ", \"walMemory\": " + walMemory) + " }";

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

    [Fact]
    public void TokenSpaces_TradersByAccount_OthersByNameOrOrigin_StableUnderReordering()
    {
        var config = ConfigLoader.Default();
        var users = config.Users;
        var reordered = config with { Users = [.. Enumerable.Reverse(users)] };
        reordered.Validate();
        foreach (var u in users)
        {
            var origin = u.TokenOrigin();
            Assert.Equal(origin, reordered.Users.Single(r => r.Username == u.Username).TokenOrigin());
            if (u.Role == UserConfig.Trader) Assert.Equal((uint)u.Account, origin);
            else Assert.True(origin > UserConfig.NamedOrigins);
        }
        var admin = users.First(u => u.Role == UserConfig.Admin);
        Assert.Equal(admin.TokenOrigin(), (admin with { Username = admin.Username.ToUpperInvariant() }).TokenOrigin());
        Assert.Equal(UserConfig.NamedOrigins | 7u, (admin with { Origin = 7 }).TokenOrigin());
        Assert.Equal((config.TokenWindow, config.MaxTokenSpaces, users.Count),
            (config.ToExchangeOptions().TokenWindow, config.ToExchangeOptions().MaxTokenSpaces, config.ToExchangeOptions().InitialTokenSpaces));
        Assert.Throws<ArgumentException>((config.ToExchangeOptions() with { InitialTokenSpaces = 0 }).Validate);
    }

    [Fact]
    public void TwoUsersOnOneTokenSpace_AreRefusedAtStart_NamingBoth()
    {
        var config = ConfigLoader.Default();
        var admin = config.Users.First(u => u.Role == UserConfig.Admin);
        var feed = config.Users.First(u => u.Role == UserConfig.Feed);
        var clash = config with { Users = [.. config.Users.Select(u => u == admin ? u with { Origin = 5 } : u == feed ? u with { Origin = 5 } : u)] };
        var e = Assert.Throws<InvalidDataException>(clash.Validate);
        Assert.Contains("would share token space", e.Message);
        Assert.Contains(admin.Username, e.Message);
    }

    [Theory]
    [InlineData(0, 16_384)]
    [InlineData(4097, 16_384)]
    [InlineData(64, 0)]
    [InlineData(4096, 1 << 20)]
    public void TokenWindowAndSpaces_OutOfBounds_AreRefused(int window, int spaces)
    {
        var e = Assert.Throws<InvalidDataException>((ConfigLoader.Default() with { TokenWindow = window, MaxTokenSpaces = spaces }).Validate);
        Assert.Contains("Token", e.Message);
    }

    [Fact]
    public void TraderWithAnOrigin_IsRefused()
    {
        var config = ConfigLoader.Default();
        var clash = config with { Users = [.. config.Users.Select(u => u.Role == UserConfig.Trader ? u with { Origin = 3 } : u)] };
        Assert.Contains("token space is its account", Assert.Throws<InvalidDataException>(clash.Validate).Message);
    }
}
