using Exchange.Gateway.Security;

namespace Exchange.Gateway.Configuration;

/// <summary>A login: username (at most 6 characters, SoupBinTCP), role, account (traders) and password hash.</summary>
public sealed record UserConfig
{
    public const string Trader = "trader";
    public const string Feed = "feed";
    public const string Admin = "admin";
    public const string Viewer = "viewer";

    public required string Username { get; init; }
    public required string Role { get; init; }
    public int Account { get; init; }
    /// <summary><c>pbkdf2-sha256$ITERATIONS$SALT$HASH</c> (base64 salt and hash).</summary>
    public required string Password { get; init; }

    public void Validate()
    {
        if (Username.Length is 0 or > 6 || !Ascii.IsPrintable(Username) || Username.Contains(' '))
            throw new InvalidDataException($"user '{Username}': 1 to 6 printable ASCII characters, no spaces");
        if (Role is not (Trader or Feed or Admin or Viewer))
            throw new InvalidDataException($"user '{Username}': role must be trader, feed, admin or viewer");
        if (Role == Trader && Account <= 0)
            throw new InvalidDataException($"user '{Username}': a trader needs an account id >= 1");
        if (Role != Trader && Account != 0)
            throw new InvalidDataException($"user '{Username}': only traders have an account");
        if (!PasswordHash.TryParse(Password, out _, out var why))
            throw new InvalidDataException($"user '{Username}': {why}");
    }
}
