using System.Diagnostics;
using System.Text;
using Exchange.Client.Protocol;
using Exchange.Gateway.Diagnostics;
using Exchange.Gateway.Protocol;
using Exchange.Gateway.Streams;
using Microsoft.Extensions.Logging;

namespace Exchange.Gateway.Sessions;

internal sealed partial class Session
{
    /// <summary>The only writer after login: the user's log from this connection's cursor on, and heartbeats.</summary>
    private async Task SendAsync()
    {
        try
        {
            var log = _stream!.Log;
            while (true)
            {
                var count = log.Published;
                var cursor = Volatile.Read(ref _cursor);
                // Closing gracefully, what the log held when the close began still goes out before the goodbye.
                if (cursor <= count && (!_closing || (!_aborted && cursor <= Volatile.Read(ref _drainTo))))
                {
                    if (StageLatency.On) StageLatency.Record(StageLatency.SenderWoken, Interlocked.Exchange(ref _notifiedAt, 0));
                    WriteBatch(log, count);
                    Volatile.Write(ref _heartbeatDue, 0);
                }
                else if (_closing)
                {
                    break;
                }
                else if (_kind == SessionKind.Snapshot)
                {
                    // The whole snapshot is out: its session is over (End of Session, then the server closes).
                    _endOfSession = true;
                    break;
                }
                else if (Interlocked.Exchange(ref _heartbeatDue, 0) == 1)
                {
                    WritePacket(PacketType.ServerHeartbeat, default);
                }
                else
                {
                    await _signal.WaitAsync().ConfigureAwait(false);
                    continue;
                }
                Volatile.Write(ref _lastSentMs, GatewayClock.NowMs);
                // Back-pressure: this waits while the transport's bounded buffer is full. The output thread does not:
                // it sees the cursor stall and drops the connection when the queue bound is passed (OnAppended).
                var flushAt = StageLatency.On ? Stopwatch.GetTimestamp() : 0;
                var flush = await _output.FlushAsync().ConfigureAwait(false);
                StageLatency.Record(StageLatency.Flushed, flushAt);
                if (flush.IsCompleted || flush.IsCanceled) break;
            }
            if (!_aborted) await GoodbyeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            // The connection is gone; the receive loop ends too.
        }
        catch (Exception e)
        {
            _ctx.Log.LogError(e, "Sender of connection {Connection} failed", _connection.ConnectionId);
            Abort("internal error");
        }
        finally
        {
            BeginClose(drain: false);
            // The receive loop may be waiting for bytes that will never come.
            _input.CancelPendingRead();
        }
    }

    private void WriteBatch(MessageLog log, long count)
    {
        var cursor = Volatile.Read(ref _cursor);
        if (_closing) count = Math.Min(count, Volatile.Read(ref _drainTo));
        // A batch about the size of the transport's buffer: the pipe's bound then holds within a batch.
        var batch = _ctx.Limits.TransportBufferBytes;
        var bytes = 0;
        var from = cursor;
        if (!log.IsRetained(from))
        {
            Abort("fell behind the stream's retention window");
            return;
        }
        while (cursor <= count && bytes < batch)
        {
            var message = log.Get((int)cursor);
            var span = _output.GetSpan(3 + message.Length);
            span[0] = (byte)((message.Length + 1) >> 8);
            span[1] = (byte)(message.Length + 1);
            span[2] = PacketType.SequencedData;
            message.CopyTo(span[3..]);
            _output.Advance(3 + message.Length);
            bytes += 3 + message.Length;
            cursor++;
        }
        // Copied, then checked: a message that left the window meanwhile may have been overwritten (MessageLog).
        if (!log.IsRetained(from))
        {
            Abort("fell behind the stream's retention window");
            return;
        }
        Volatile.Write(ref _cursor, cursor);
    }

    /// <summary>End of Session on shutdown, or a Debug packet with the reason after a protocol error or limit.</summary>
    private async Task GoodbyeAsync()
    {
        if (_endOfSession) WritePacket(PacketType.EndOfSession, default);
        else if (_closeReason is { } reason) WritePacket(PacketType.Debug, Encoding.ASCII.GetBytes(reason));
        else return;
        await FlushWithTimeoutAsync().ConfigureAwait(false);
    }
}
