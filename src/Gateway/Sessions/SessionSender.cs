using System.Diagnostics;
using Exchange.Client.Protocol;
using Exchange.Gateway.Diagnostics;
using Exchange.Gateway.Streams;
using Microsoft.Extensions.Logging;

namespace Exchange.Gateway.Sessions;

/// <summary>
/// A connection's only writer after login: it drains the user's <see cref="MessageLog"/> from this connection's
/// cursor into the socket, so replay and live delivery are the same code and can have neither gap nor duplicate, and
/// it sends the heartbeats and the goodbye. Other threads only signal it (<see cref="ConnectionState.SenderWake"/>):
/// the output thread (the log grew, <see cref="OnAppended"/>), the timer (heartbeat due), the close.
/// <para>Its own state: <c>_cursor</c> is written by the sender loop and read by the output thread (the queue bound);
/// <c>_wakeDeferred</c> belongs to the output side's <see cref="Routing.WakeBatch"/>. It is one of its stream's readers
/// (<see cref="UserStream.TryAttach"/>); <see cref="OnAppended"/> runs under that stream's gate.</para>
/// </summary>
internal sealed class SessionSender(ConnectionState state)
{
    private Task? _loop;
    // Next sequence number to send; written by the sender loop, read by the output thread for the queue bound.
    private long _cursor;
    // When the log first grew since the sender last ran (stage latency only).
    private long _notifiedAt;
    // 1 while this connection waits in the output side's WakeBatch.
    private int _wakeDeferred;

    /// <summary>The sender loop, once started (null before login).</summary>
    public Task? Loop => _loop;

    /// <summary>Where the sender starts; login sets it under the stream's gate, before the sender runs.</summary>
    public void StartAt(long sequence) => Volatile.Write(ref _cursor, sequence);

    /// <summary>Closes the connection without a goodbye, off this thread (the caller holds its stream's gate).</summary>
    public void Drop(string reason)
    {
        if (state.TryMarkClosing())
            ThreadPool.UnsafeQueueUserWorkItem(s => s.Abort(reason), state, preferLocal: false);
    }

    /// <summary>Starts the sender loop (login, after Login Accepted is out).</summary>
    public void Start() => _loop = Task.Run(SendAsync);

    /// <summary>Whether this connection was not yet in the wake batch (it is now): <see cref="Routing.WakeBatch"/> only.</summary>
    internal bool EnterWakeBatch() => Interlocked.Exchange(ref _wakeDeferred, 1) == 0;

    /// <summary>
    /// Runs the sender on this thread, now: it writes what the log holds and hands it to the transport (with inline
    /// I/O, the send itself happens here), then gives the thread back at its next wait. Call holding no lock.
    /// </summary>
    internal void WakeInline()
    {
        Volatile.Write(ref _wakeDeferred, 0);
        state.SenderWake.SetInline();
    }

    /// <summary>
    /// The user's log grew to <paramref name="count"/> messages (called under the stream's gate, by any thread). Live
    /// messages this connection has not yet handed to the transport are its queue; past the bound it is dropped. The
    /// output side passes its <paramref name="batch"/>: the sender is then woken at the end of the batch, else at once.
    /// </summary>
    public void OnAppended(long count, Routing.WakeBatch? batch)
    {
        var cursor = Volatile.Read(ref _cursor);
        // Nothing this connection has not yet written: no wake-up. A spurious one costs a thread-pool hop, and a sender
        // that is off on the pool then is not there to be woken inline at the end of the output batch (measured: p50
        // at 10k/s 45 µs without spurious wake-ups, 100-160 µs with them).
        if (count < cursor) return;
        var sent = Math.Max(cursor - 1, state.Attached!.LiveBase);
        if (count - sent <= state.Context.Limits.MaxQueuedMessages)
        {
            if (StageLatency.On && Volatile.Read(ref _notifiedAt) == 0) Volatile.Write(ref _notifiedAt, Stopwatch.GetTimestamp());
            if (batch is not null) batch.Add(this);
            else state.SenderWake.Set();
        }
        else if (state.TryMarkClosing())
        {
            // Not inline: aborting can run this connection's continuations, which take the gate the caller holds.
            ThreadPool.UnsafeQueueUserWorkItem(s => s.Abort("slow consumer: outbound queue full"), state, preferLocal: false);
        }
    }

    private async Task SendAsync()
    {
        try
        {
            var log = state.Attached!.Stream.Log;
            while (true)
            {
                var count = log.Published;
                var cursor = Volatile.Read(ref _cursor);
                // Closing gracefully, what the log held when the close began still goes out before the goodbye.
                if (cursor <= count && (!state.IsClosing || (!state.IsAborted && cursor <= state.DrainTo)))
                {
                    if (StageLatency.On) StageLatency.Record(StageLatency.SenderWoken, Interlocked.Exchange(ref _notifiedAt, 0));
                    WriteBatch(log, count);
                    state.ClearHeartbeatDue();
                }
                else if (state.IsClosing)
                {
                    break;
                }
                else if (state.Kind == SessionKind.Snapshot)
                {
                    // The whole snapshot is out: its session is over (End of Session, then the server closes).
                    state.MarkEndOfSession();
                    break;
                }
                else if (state.TakeHeartbeatDue())
                {
                    state.WritePacket(PacketType.ServerHeartbeat, default);
                }
                else
                {
                    await state.SenderWake.WaitAsync().ConfigureAwait(false);
                    continue;
                }
                state.MarkSent(GatewayClock.NowMs);
                // Back-pressure: this waits while the transport's bounded buffer is full. The output thread does not:
                // it sees the cursor stall and drops the connection when the queue bound is passed (OnAppended).
                var flushAt = StageLatency.On ? Stopwatch.GetTimestamp() : 0;
                var flush = await state.Output.FlushAsync().ConfigureAwait(false);
                StageLatency.Record(StageLatency.Flushed, flushAt);
                if (flush.IsCompleted || flush.IsCanceled) break;
            }
            if (!state.IsAborted) await state.GoodbyeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (Session.IsConnectionFailure(e))
        {
            // The connection is gone; the receive loop ends too.
        }
        catch (Exception e)
        {
            state.Context.Log.LogError(e, "Sender of connection {Connection} failed", state.Connection.ConnectionId);
            state.Abort("internal error");
        }
        finally
        {
            state.BeginClose(drain: false);
            // The receive loop may be waiting for bytes that will never come.
            state.Input.CancelPendingRead();
        }
    }

    private void WriteBatch(MessageLog log, long count)
    {
        var cursor = Volatile.Read(ref _cursor);
        if (state.IsClosing) count = Math.Min(count, state.DrainTo);
        // A batch about the size of the transport's buffer: the pipe's bound then holds within a batch.
        var batch = state.Context.Limits.TransportBufferBytes;
        var bytes = 0;
        var from = cursor;
        if (!log.IsRetained(from))
        {
            state.Abort("fell behind the stream's retention window");
            return;
        }
        var output = state.Output;
        while (cursor <= count && bytes < batch)
        {
            var message = log.Get(cursor);
            var span = output.GetSpan(3 + message.Length);
            span[0] = (byte)((message.Length + 1) >> 8);
            span[1] = (byte)(message.Length + 1);
            span[2] = PacketType.SequencedData;
            message.CopyTo(span[3..]);
            output.Advance(3 + message.Length);
            bytes += 3 + message.Length;
            cursor++;
        }
        // Copied, then checked: a message that left the window meanwhile may have been overwritten (MessageLog).
        if (!log.IsRetained(from))
        {
            state.Abort("fell behind the stream's retention window");
            return;
        }
        Volatile.Write(ref _cursor, cursor);
    }
}
