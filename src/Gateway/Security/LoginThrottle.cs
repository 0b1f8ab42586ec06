using System.Net;

namespace Exchange.Gateway.Security;

/// <summary>
/// Failed-login rate limiting per remote address: after <c>maxFailures</c> failures within a window, further logins
/// from that address are refused without checking the password until the window that began with the first failure
/// has passed. Keyed by address rather than username so that nobody can lock a real user out from elsewhere.
/// </summary>
internal sealed class LoginThrottle(int maxFailures, long windowMs)
{
    private readonly Dictionary<IPAddress, Window> _windows = new();
    private readonly Lock _gate = new();

    public bool IsBlocked(IPAddress? address, long nowMs)
    {
        if (address is null) return false;
        lock (_gate)
            return _windows.TryGetValue(address, out var w) && nowMs - w.StartMs < windowMs && w.Failures >= maxFailures;
    }

    public void RecordFailure(IPAddress? address, long nowMs)
    {
        if (address is null) return;
        lock (_gate)
        {
            if (_windows.Count > 100_000) Prune(nowMs);
            if (!_windows.TryGetValue(address, out var w) || nowMs - w.StartMs >= windowMs) w = new Window(nowMs, 0);
            _windows[address] = w with { Failures = w.Failures + 1 };
        }
    }

    private void Prune(long nowMs)
    {
        foreach (var (key, w) in _windows)
            if (nowMs - w.StartMs >= windowMs) _windows.Remove(key);
    }

    private readonly record struct Window(long StartMs, int Failures);
}
