using Exchange.Gateway.Security;

namespace Exchange.Gateway.MarketData;

/// <summary>
/// The owner of the market-data and drop-copy streams. Not in the user directory, so nobody logs in as it: readers log
/// in as themselves and read this stream.
/// </summary>
internal static class MarketDataUser
{
    // A well-formed hash that no password is checked against.
    private const string Unusable = "pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

    public static readonly User Instance = new("md", Role.PriceFeed, 0,
        PasswordHash.TryParse(Unusable, out var hash, out var why) ? hash : throw new InvalidOperationException(why));
}
