namespace Exchange.Gateway.Security;

/// <summary>A configured login. <see cref="Account"/> is 0 for the price feed and admin roles.</summary>
internal sealed class User(string name, Role role, int account, PasswordHash password, uint origin = 0)
{
    /// <summary>The user's token space in the core (UserConfig.TokenOrigin); 0 for internal users (market data).</summary>
    public uint Origin { get; } = origin;
    public string Name { get; } = name;
    public Role Role { get; } = role;
    public int Account { get; } = account;
    public PasswordHash Password { get; } = password;

    /// <summary>HMAC of the last password that verified, under the directory's process key (see <see cref="UserDirectory"/>).</summary>
    public byte[]? Remembered { get; set; }

    /// <summary>Milliseconds (<see cref="Sessions.GatewayClock"/>) before which no password check of this user is
    /// started ahead of its login (<see cref="UserDirectory.WarmAsync"/>): one at a time, and none for a while after a
    /// wrong password.</summary>
    public long WarmAfterMs;
}
