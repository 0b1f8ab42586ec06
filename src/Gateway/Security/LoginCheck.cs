namespace Exchange.Gateway.Security;

/// <summary>The outcome of a password check (<see cref="UserDirectory.VerifyAsync"/>).</summary>
internal enum LoginCheck : byte
{
    /// <summary>The password is the user's.</summary>
    Ok = 0,
    /// <summary>Unknown user or wrong password.</summary>
    Bad = 1,
    /// <summary>Not checked: too many checks are queued (a login storm); try again later.</summary>
    Busy = 2,
}
