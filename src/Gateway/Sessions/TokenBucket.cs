namespace Exchange.Gateway.Sessions;

/// <summary>A token bucket: <c>rate</c> tokens a second, at most <c>burst</c> saved up. Used by one thread.</summary>
internal sealed class TokenBucket(int ratePerSecond, int burst)
{
    private double _tokens = burst;
    private long _lastMs = Environment.TickCount64;

    public bool TryTake(long nowMs)
    {
        if (nowMs > _lastMs)
        {
            _tokens = Math.Min(burst, _tokens + (nowMs - _lastMs) * (ratePerSecond / 1000.0));
            _lastMs = nowMs;
        }
        if (_tokens < 1) return false;
        _tokens -= 1;
        return true;
    }
}
