using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using Exchange.Client.Protocol;
using Exchange.Gateway.Diagnostics;
using Exchange.Gateway.Hosting;
using Exchange.Gateway.Protocol;
using Exchange.Gateway.Security;
using Exchange.Gateway.Streams;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Exchange.Gateway.Sessions;

/// <summary>
/// One SoupBinTCP connection. The receive loop decodes packets and handles them; before login it is also the only
/// writer (Login Accepted/Rejected, Debug). After login, one sender loop is the only writer: it reads the user's
/// <see cref="MessageLog"/> from this connection's cursor, so replay and live delivery are the same code and can have
/// neither gap nor duplicate. Other threads only signal it: the output thread (the log grew), the timer (heartbeat
/// due), the server (end of session).
/// </summary>
internal sealed partial class Session
{
    private const int CloseTimeoutMs = 2_000;

    private readonly GatewayContext _ctx;
    private readonly ConnectionContext _connection;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly AsyncSignal _signal = new();
    private readonly TokenBucket _bucket;
    private readonly SessionBuffers _buffers;
    private readonly long _connectedMs;
    // Order entry, or read-only: market data (the order log), a snapshot of it, or drop copy (a group's executions);
    // protocol.md 12, 13.
    private readonly SessionKind _kind;
    private long _lastReceivedMs;
    private long _lastSentMs;
    private int _heartbeatDue;
    private volatile bool _loggedIn;
    private volatile bool _closing;
    private volatile bool _aborted;
    private volatile bool _endOfSession;
    private string? _closeReason;
    private long _drainTo;
    private long _closingSinceMs;
    private int _floodRejects;
    private Task? _sender;
    private User? _user;
    private UserStream? _stream;
    // Next sequence number to send; written by the sender, read by the output thread for the queue bound.
    private long _cursor;
    // The log's length at login: messages after it are live, and only those count against the queue bound.
    private long _liveBase;
    // When the log first grew since the sender last ran (stage latency only).
    private long _notifiedAt;
    // 1 while this connection waits in the output side's WakeBatch.
    private int _wakeDeferred;

    public Session(GatewayContext ctx, ConnectionContext connection, SessionKind kind)
    {
        _kind = kind;
        _ctx = ctx;
        _connection = connection;
        _input = connection.Transport.Input;
        _output = connection.Transport.Output;
        _bucket = new TokenBucket(ctx.Limits.RatePerSecond, ctx.Limits.RateBurst);
        _buffers = ctx.Buffers.Get();
        _connectedMs = _lastReceivedMs = _lastSentMs = GatewayClock.NowMs;
    }

    /// <summary>Logged in, as <see cref="ConnectionAdmission"/> counts it (set once, with the login).</summary>
    public bool CountedLoggedIn { get; private set; }

    private IPAddress? RemoteAddress => (_connection.RemoteEndPoint as IPEndPoint)?.Address;

    public async Task RunAsync()
    {
        _ctx.Registry.Add(this);
        try
        {
            if (!_ctx.Stopping) await ReceiveAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            // The peer went away or the connection was aborted: nothing to answer.
        }
        catch (Exception e)
        {
            // A bug must not take the server down with this connection; say so loudly.
            _ctx.Log.LogError(e, "Connection {Connection} failed", _connection.ConnectionId);
        }
        finally
        {
            // After a protocol error or limit the client still gets what was already answered, then the reason.
            BeginClose(drain: _closeReason is not null);
            try
            {
                if (_sender is not null) await _sender.ConfigureAwait(false);
                else if (!_aborted) await GoodbyeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (IsConnectionFailure(e))
            {
                // Gone while saying goodbye.
            }
            if (_stream is not null)
                lock (_stream.Gate) _stream.Detach(this);
            _ctx.Registry.Remove(this);
            _ctx.Buffers.Return(_buffers);
            _ctx.Log.LogInformation("Connection {Connection} from {Remote} ({User}) closed: {Reason}", _connection.ConnectionId,
                _connection.RemoteEndPoint, _user?.Name ?? "not logged in", _closeReason ?? "by the client");
        }
    }

    private async Task ReceiveAsync()
    {
        while (!_closing)
        {
            var result = await _input.ReadAsync().ConfigureAwait(false);
            if (StageLatency.On) StageLatency.ReadAt = Stopwatch.GetTimestamp();
            var buffer = result.Buffer;
            var step = ProcessFrames(ref buffer);
            if (step == Step.NeedMore) _input.AdvanceTo(buffer.Start, buffer.End);
            else _input.AdvanceTo(buffer.Start);
            if (step == Step.Login && !await LoginAsync().ConfigureAwait(false)) return;
            if (step == Step.Close || result.IsCompleted || result.IsCanceled) return;
        }
    }

    private enum Step : byte { NeedMore, Login, Close }

    private Step ProcessFrames(ref ReadOnlySequence<byte> buffer)
    {
        while (!_closing)
        {
            switch (FrameDecoder.TryRead(ref buffer, _ctx.Limits.MaxFrameLength, out var frame))
            {
                case FrameStatus.Incomplete:
                    return Step.NeedMore;
                case FrameStatus.Empty:
                    return Close("empty packet");
                case FrameStatus.TooLong:
                    return Close($"packet longer than {_ctx.Limits.MaxFrameLength} bytes");
            }
            Volatile.Write(ref _lastReceivedMs, GatewayClock.NowMs);
            ReadOnlySpan<byte> packet;
            if (frame.IsSingleSegment)
            {
                packet = frame.FirstSpan;
            }
            else
            {
                frame.CopyTo(_buffers.Frame);
                packet = _buffers.Frame.AsSpan(0, (int)frame.Length);
            }
            var step = HandlePacket(packet);
            if (step != Step.NeedMore) return step;
        }
        return Step.Close;
    }

    /// <summary>Handles one packet; <see cref="Step.NeedMore"/> means "go on with the next one".</summary>
    private Step HandlePacket(ReadOnlySpan<byte> packet)
    {
        var type = packet[0];
        var payload = packet[1..];
        if (!_loggedIn)
        {
            // A Debug packet may come from either side at any time (SoupBinTCP 3.00): read and ignored.
            if (type == PacketType.Debug) return Step.NeedMore;
            if (type != PacketType.LoginRequest) return Close("the first packet must be a login request");
            if (payload.Length != PacketType.LoginRequestPayload) return Close("login request of the wrong length");
            payload.CopyTo(_buffers.Login);
            return Step.Login;
        }
        switch (type)
        {
            case PacketType.UnsequencedData:
                if (_kind == SessionKind.MarketData) return Close("market-data sessions are read-only");
                if (_kind == SessionKind.DropCopy) return Close("drop-copy sessions are read-only");
                if (_kind == SessionKind.Snapshot) return Close("snapshot sessions are read-only");
                return payload.IsEmpty ? Close("empty unsequenced data packet") : HandleMessage(payload);
            case PacketType.ClientHeartbeat:
                return payload.IsEmpty ? Step.NeedMore : Close("client heartbeat with a payload");
            case PacketType.Debug:
                return Step.NeedMore;
            case PacketType.LogoutRequest:
                return payload.IsEmpty ? Step.Close : Close("logout request with a payload");
            case PacketType.LoginRequest:
                return Close("already logged in");
            default:
                return Close($"unknown packet type 0x{type:X2}");
        }
    }

    /// <summary>Ends the connection after a protocol error or limit: the reason goes out in a Debug packet.</summary>
    private Step Close(string reason)
    {
        _closeReason ??= reason;
        return Step.Close;
    }

    /// <summary>
    /// Starts closing (any thread). With <paramref name="drain"/>, the messages the log holds now still go out first;
    /// a close that takes longer than two seconds (a peer that does not read) is turned into an abort by the timer.
    /// </summary>
    private void BeginClose(bool drain)
    {
        if (_closing) return;
        _drainTo = drain && _stream is not null ? _stream.Log.Published : 0;
        _closingSinceMs = GatewayClock.NowMs;
        _closing = true;
        _signal.Set();
    }

    /// <summary>Closes at once without a goodbye (timeouts, slow consumer). Any thread; idempotent.</summary>
    public void Abort(string reason)
    {
        _closeReason ??= reason;
        _aborted = true;
        _closingSinceMs = GatewayClock.NowMs;
        _closing = true;
        _connection.Abort(new ConnectionAbortedException(reason));
        _signal.Set();
    }

    /// <summary>Server shutdown: send End of Session and close.</summary>
    public void EndSession()
    {
        _endOfSession = true;
        BeginClose(drain: true);
        _input.CancelPendingRead();
    }

    /// <summary>Timer tick (any thread): login and idle timeouts, heartbeat due.</summary>
    public void Tick(long nowMs)
    {
        if (_closing)
        {
            if (!_aborted && nowMs - Volatile.Read(ref _closingSinceMs) > CloseTimeoutMs) Abort("close timed out");
            return;
        }
        var limits = _ctx.Limits;
        if (!_loggedIn)
        {
            if (nowMs - _connectedMs >= limits.LoginTimeoutMs) Abort("login timeout");
            return;
        }
        if (nowMs - Volatile.Read(ref _lastReceivedMs) >= limits.IdleTimeoutMs)
        {
            Abort("no packet from the client within the idle timeout");
            return;
        }
        if (nowMs - Volatile.Read(ref _lastSentMs) >= limits.HeartbeatIntervalMs && Interlocked.Exchange(ref _heartbeatDue, 1) == 0)
            _signal.Set();
    }

    /// <summary>Whether this connection was not yet in the wake batch (it is now): <see cref="Routing.WakeBatch"/> only.</summary>
    internal bool EnterWakeBatch() => Interlocked.Exchange(ref _wakeDeferred, 1) == 0;

    /// <summary>
    /// Runs the sender on this thread, now: it writes what the log holds and hands it to the transport (with inline
    /// I/O, the send itself happens here), then gives the thread back at its next wait. Call holding no lock.
    /// </summary>
    internal void WakeInline()
    {
        Volatile.Write(ref _wakeDeferred, 0);
        _signal.SetInline();
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
        var sent = Math.Max(cursor - 1, _liveBase);
        if (count - sent <= _ctx.Limits.MaxQueuedMessages)
        {
            if (StageLatency.On && Volatile.Read(ref _notifiedAt) == 0) Volatile.Write(ref _notifiedAt, Stopwatch.GetTimestamp());
            if (batch is not null) batch.Add(this);
            else _signal.Set();
        }
        else if (!_closing)
        {
            // Not inline: aborting can run this connection's continuations, which take the gate the caller holds.
            _closing = true;
            ThreadPool.UnsafeQueueUserWorkItem(s => s.Abort("slow consumer: outbound queue full"), this, preferLocal: false);
        }
    }

    /// <summary>The ways a connection ends under our feet: the peer resets, the connection is aborted, a read is cancelled.</summary>
    internal static bool IsConnectionFailure(Exception e) =>
        e is IOException or ConnectionAbortedException or ConnectionResetException or OperationCanceledException
            or ObjectDisposedException or System.Net.Sockets.SocketException;
}
