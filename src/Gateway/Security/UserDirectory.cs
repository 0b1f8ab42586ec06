using System.Security.Cryptography;
using Exchange.Gateway.Configuration;

namespace Exchange.Gateway.Security;

/// <summary>
/// The configured users and password checks. PBKDF2 is deliberately slow, so checks run at most one per core at a
/// time, and after a password verified once its HMAC under a per-process random key is remembered: a later login with
/// the same password costs a microsecond. A failed check always pays the full PBKDF2 cost, unknown users included
/// (against a dummy hash), so timing tells nothing about which usernames exist. The checks waiting for a core are
/// bounded (<c>maxPendingChecks</c>): past it a login is refused as busy without hashing, so a burst of bad logins
/// costs at most that many PBKDF2 runs (plus those running), not one per connection.
/// </summary>
internal sealed class UserDirectory
{
    private readonly Dictionary<string, User> _users = new(StringComparer.OrdinalIgnoreCase);
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private static readonly int _cores = Math.Max(1, Environment.ProcessorCount);
    private readonly SemaphoreSlim _hashing = new(_cores);
    private readonly PasswordHash _dummy;
    private readonly int _maxPending;
    // Checks admitted (waiting for a core or hashing), bounded by _maxPending plus the cores.
    private int _admitted;

    public UserDirectory(IEnumerable<UserConfig> users, int maxPendingChecks = 32)
    {
        _maxPending = maxPendingChecks;
        foreach (var u in users)
        {
            PasswordHash.TryParse(u.Password, out var hash, out _);
            var role = u.Role switch { UserConfig.Feed => Role.PriceFeed, UserConfig.Admin => Role.Admin, UserConfig.Viewer => Role.Viewer, _ => Role.Trader };
            _users.Add(u.Username, new User(u.Username, role, u.Account, hash!, u.TokenOrigin()));
        }
        PasswordHash.TryParse(PasswordHash.Create(Convert.ToBase64String(RandomNumberGenerator.GetBytes(12))), out var dummy, out _);
        _dummy = dummy!;
    }

    public IEnumerable<User> All => _users.Values;

    /// <summary>Password checks admitted and not yet finished (running or waiting for a core).</summary>
    public int PendingChecks => Volatile.Read(ref _admitted);

    /// <summary>The user whose password this is, or null (unknown user or wrong password); <see cref="LoginCheck.Busy"/>
    /// when too many checks are queued already (nothing was checked).</summary>
    public async ValueTask<(LoginCheck Result, User? User)> VerifyAsync(string username, byte[] password, CancellationToken cancel)
    {
        _users.TryGetValue(username, out var user);
        if (IsRemembered(user, password)) return (LoginCheck.Ok, user);
        if (Interlocked.Increment(ref _admitted) > _maxPending + _cores)
        {
            Interlocked.Decrement(ref _admitted);
            return (LoginCheck.Busy, null);
        }
        try
        {
            await _hashing.WaitAsync(cancel).ConfigureAwait(false);
            try
            {
                // Many connections of one user logging in at once: the first verifies, the others find it remembered.
                if (IsRemembered(user, password)) return (LoginCheck.Ok, user);
                // Seconds of CPU at worst under a login storm: never on a socket thread (see GatewayConfig.InlineIo).
                var hash = user?.Password ?? _dummy;
                var ok = await Task.Run(() => hash.Verify(password), cancel).ConfigureAwait(false);
                if (!ok || user is null) return (LoginCheck.Bad, null);
                user.Remembered = HMACSHA256.HashData(_key, password);
                return (LoginCheck.Ok, user);
            }
            finally
            {
                _hashing.Release();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _admitted);
        }
    }

    /// <summary>
    /// Checks a password ahead of the login it is for, so that the login costs a microsecond (the remembered HMAC). A
    /// cluster follower does it with the logins it refuses (docs/cluster.md): during a failover every client tries the
    /// surviving nodes while they elect, so the new leader knows their passwords by the time it takes orders, instead of
    /// running one PBKDF2 per client (one per core at a time) on the failover's path. Nothing is told to anyone (the
    /// refusal has been sent); unknown users are skipped, a user already remembered is skipped, at most one check per
    /// user runs at a time and none for 10 s after a wrong password, and checks are admitted as <see cref="VerifyAsync"/>'s
    /// (busy: skipped), so refused logins cannot make a follower hash more than its own logins would.
    /// </summary>
    public async Task WarmAsync(string username, byte[] password)
    {
        User? taken = null;
        long next = 0;
        try
        {
            if (!_users.TryGetValue(username, out var user) || user.Remembered is not null) return;
            var after = Volatile.Read(ref user.WarmAfterMs);
            if (Sessions.GatewayClock.NowMs < after || Interlocked.CompareExchange(ref user.WarmAfterMs, long.MaxValue, after) != after) return;
            taken = user;
            var (check, _) = await VerifyAsync(username, password, CancellationToken.None).ConfigureAwait(false);
            if (check == LoginCheck.Bad) next = Sessions.GatewayClock.NowMs + 10_000;
        }
        catch (Exception)
        {
            // Best effort: the login checks the password itself.
        }
        finally
        {
            if (taken is not null) Volatile.Write(ref taken.WarmAfterMs, next);
            Array.Clear(password);
        }
    }

    private bool IsRemembered(User? user, byte[] password) =>
        user?.Remembered is { } remembered &&
        CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(_key, password), remembered);
}
