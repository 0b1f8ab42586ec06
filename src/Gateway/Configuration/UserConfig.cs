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

    /// <summary>
    /// A feed, admin or viewer's token space id, 1..2^31 − 1 (optional): keeps its space when the user is renamed, or
    /// settles a collision of two names. Unset: derived from the name (<see cref="TokenOrigin"/>). Traders have none:
    /// their token space is their account.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? Origin { get; init; }

    /// <summary>The first origin that is not an account: a trader's origin is its account id (below 2^31), any other
    /// user's is 2^31 plus its configured <see cref="Origin"/> or its name's hash (docs/architecture.md).</summary>
    public const uint NamedOrigins = 1u << 31;

    /// <summary>
    /// This user's token space in the core, stable across restarts and reorderings of the configuration: a trader's
    /// account id; otherwise 2^31 + <see cref="Origin"/>, or 2^31 + the FNV-1a hash of the upper-cased name (names are
    /// case-insensitive) in 31 bits, never 0. Two users on one space are refused at start (GatewayConfig).
    /// </summary>
    public uint TokenOrigin()
    {
        if (Role == Trader) return (uint)Account;
        if (Origin is { } configured) return NamedOrigins | (uint)configured;
        var hash = 2166136261u;
        foreach (var c in Username.ToUpperInvariant())
            hash = (hash ^ (byte)c) * 16777619u;
        hash &= NamedOrigins - 1;
        return NamedOrigins | (hash == 0 ? 1u : hash);
    }

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
        if (Origin is not null && Role == Trader)
            throw new InvalidDataException($"user '{Username}': a trader's token space is its account: no origin");
        if (Origin is <= 0)
            throw new InvalidDataException($"user '{Username}': origin must be in 1..{int.MaxValue}");
        if (!PasswordHash.TryParse(Password, out _, out var why))
            throw new InvalidDataException($"user '{Username}': {why}");
    }
}
