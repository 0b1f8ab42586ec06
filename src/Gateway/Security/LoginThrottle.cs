using System.Net;

namespace Exchange.Gateway.Security;

/// <summary>
/// Failed-login rate limiting per (remote address, username): after <c>maxFailures</c> failures within a window,
/// further logins of that user from that address are refused without checking the password until the window that
/// began with the first failure has passed. Keyed by both, so that guessing one user's password from an address
/// locks out neither that user elsewhere nor the other users of the address (an admin behind the same NAT).
/// </summary>
/// <remarks>Bounded: expired windows are pruned once the table holds <see cref="MaxEntries"/>; every entry costs its
/// attacker a full password check (the bounded queue in <see cref="UserDirectory"/>), so the table cannot grow fast.</remarks>
internal sealed class LoginThrottle(int maxFailures, long windowMs)
{
    public const int MaxEntries = 100_000;

    private readonly Dictionary<(IPAddress, string), Window> _windows = new();
    private readonly Lock _gate = new();

    public bool IsBlocked(IPAddress? address, string username, long nowMs)
    {
        if (address is null) return false;
        lock (_gate)
            return _windows.TryGetValue(Key(address, username), out var w) && nowMs - w.StartMs < windowMs && w.Failures >= maxFailures;
    }

    public void RecordFailure(IPAddress? address, string username, long nowMs)
    {
        if (address is null) return;
        var key = Key(address, username);
        lock (_gate)
        {
            if (_windows.Count >= MaxEntries) Prune(nowMs);
            if (!_windows.TryGetValue(key, out var w) || nowMs - w.StartMs >= windowMs)
            {
                if (_windows.Count >= MaxEntries) return;
                w = new Window(nowMs, 0);
            }
            _windows[key] = w with { Failures = w.Failures + 1 };
        }
    }

    private static (IPAddress, string) Key(IPAddress address, string username) => (address, username.ToLowerInvariant());

    private void Prune(long nowMs)
    {
        foreach (var (key, w) in _windows)
            if (nowMs - w.StartMs >= windowMs) _windows.Remove(key);
    }

    private readonly record struct Window(long StartMs, int Failures);
}
