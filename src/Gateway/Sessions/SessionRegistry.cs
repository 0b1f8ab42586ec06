using System.Collections.Concurrent;

namespace Exchange.Gateway.Sessions;

/// <summary>
/// The live connections and their timers: one timer for all of them ticks every <c>resolutionMs</c> and lets each
/// session check its login timeout, idle timeout and heartbeat (O(connections) per tick, no timer per connection).
/// </summary>
internal sealed class SessionRegistry : IDisposable
{
    private readonly ConcurrentDictionary<Session, byte> _sessions = new();
    private readonly Timer _timer;

    public SessionRegistry(int resolutionMs)
    {
        _timer = new Timer(_ => Tick(), null, resolutionMs, resolutionMs);
    }

    public int Count => _sessions.Count;

    public void Add(Session session) => _sessions.TryAdd(session, 0);

    public void Remove(Session session) => _sessions.TryRemove(session, out _);

    /// <summary>Server shutdown: End of Session to every connection, then waits (bounded) for them to close.</summary>
    public async Task EndAllAsync(TimeSpan grace)
    {
        foreach (var s in _sessions.Keys) s.EndSession();
        var deadline = Environment.TickCount64 + (long)grace.TotalMilliseconds;
        while (!_sessions.IsEmpty && Environment.TickCount64 < deadline) await Task.Delay(20).ConfigureAwait(false);
        foreach (var s in _sessions.Keys) s.Abort("server shutting down");
    }

    private void Tick()
    {
        var now = GatewayClock.NowMs;
        foreach (var s in _sessions.Keys) s.Tick(now);
    }

    public void Dispose() => _timer.Dispose();
}
