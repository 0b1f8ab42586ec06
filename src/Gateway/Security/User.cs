namespace Exchange.Gateway.Security;

/// <summary>A configured login. <see cref="Account"/> is 0 for the price feed and admin roles.</summary>
internal sealed class User(string name, Role role, int account, PasswordHash password)
{
    public string Name { get; } = name;
    public Role Role { get; } = role;
    public int Account { get; } = account;
    public PasswordHash Password { get; } = password;

    /// <summary>HMAC of the last password that verified, under the directory's process key (see <see cref="UserDirectory"/>).</summary>
    public byte[]? Remembered { get; set; }
}
