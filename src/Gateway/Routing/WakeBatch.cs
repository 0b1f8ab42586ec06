using Exchange.Gateway.Sessions;
using Exchange.Gateway.Streams;

namespace Exchange.Gateway.Routing;

/// <summary>
/// The output side's flushes and wake-ups: the streams that grew while one batch of commands was translated, each
/// written to its file and published once, then the connections reading them, each woken
/// once, at the end of the batch, on the output thread and holding no lock. Their senders then write and send right
/// there (with inline I/O), which saves a thread-pool hand-off per connection and batch (docs/benchmarks.md). Owned and
/// used by the output thread only: whatever appends on another thread wakes its readers at once instead.
/// </summary>
internal sealed class WakeBatch
{
    // Connections to wake, and the list being woken (swapped, so a wake-up added while flushing waits for the next round).
    private List<SessionSender> _pending = [];
    private List<SessionSender> _waking = [];

    /// <summary>Wakes <paramref name="sender"/> at the end of the batch (once, however often it is added).</summary>
    public void Add(SessionSender sender)
    {
        if (sender.EnterWakeBatch()) _pending.Add(sender);
    }

    // Streams that grew during the batch, to be written and published before anyone is woken (swapped as above).
    private List<UserStream> _streams = [];
    private List<UserStream> _flushing = [];

    /// <summary>Flushes <paramref name="stream"/> at the end of the batch (the stream adds itself once per batch).</summary>
    public void AddStream(UserStream stream) => _streams.Add(stream);

    /// <summary>The batch is over: writes each grown stream to its file (one write call per stream), publishes it and
    /// collects its readers, then runs each connection's sender on this thread. Call holding no lock.</summary>
    public void Flush()
    {
        // A sender run here can, rarely, add a wake-up of its own (through the output side's streams): it lands in the
        // other list and is taken in the next round.
        while (_streams.Count > 0 || _pending.Count > 0)
        {
            if (_streams.Count > 0)
            {
                (_flushing, _streams) = (_streams, _flushing);
                foreach (var stream in _flushing)
                    lock (stream.Gate) stream.Publish(this);
                _flushing.Clear();
                continue;
            }
            (_waking, _pending) = (_pending, _waking);
            foreach (var sender in _waking) sender.WakeInline();
            _waking.Clear();
        }
    }
}
