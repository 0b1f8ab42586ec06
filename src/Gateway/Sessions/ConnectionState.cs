using System.Net;
using System.IO.Pipelines;
using System.Text;
using Exchange.Client.Protocol;
using Exchange.Gateway.Hosting;
using Exchange.Gateway.Security;
using Exchange.Gateway.Streams;
using Microsoft.AspNetCore.Connections;

namespace Exchange.Gateway.Sessions;

/// <summary>
/// The state one connection's parts (<see cref="SessionReceiver"/>, <see cref="SessionLogin"/>,
/// <see cref="SessionSender"/>, and <see cref="Session"/>'s timer and close) share. It takes no lock; its contract,
/// stated here once and carried by the member names:
/// <list type="bullet">
/// <item><b>Fixed</b> (<see cref="Context"/>, <see cref="Connection"/>, <see cref="Input"/>, <see cref="Output"/>,
/// <see cref="Kind"/>, <see cref="Buffers"/>, <see cref="ConnectedMs"/>, <see cref="SenderWake"/>): set by the
/// constructor, read anywhere.</item>
/// <item><b>Attached</b> (<see cref="Attached"/>: user, stream, live base): null until login, then set once by
/// <see cref="AttachUnderStreamGate"/> with the stream's gate held, and never changed; a non-null read sees all of it.</item>
/// <item><b>AnyThread</b> (the close: <see cref="IsClosing"/>, <see cref="IsAborted"/>, <see cref="EndOfSession"/>,
/// <see cref="CloseReason"/>, <see cref="DrainTo"/>, <see cref="ClosingSinceMs"/>; and <see cref="Abort"/>,
/// <see cref="BeginClose"/>, <see cref="CloseFor"/>): lock-free, any thread, idempotent.</item>
/// <item><b>OneWriter</b> clocks (<see cref="LastReceivedMs"/>: the receiver; <see cref="LastSentMs"/>: login, then the
/// sender; <see cref="HeartbeatDue"/>: set by the timer, taken by the sender): written by their one owner, read by the
/// timer, through <see cref="Volatile"/> or <see cref="Interlocked"/>.</item>
/// </list>
/// The only writer to <see cref="Output"/> is the receive side until login and the sender after it; the only lock any
/// part takes is the attached stream's gate (<see cref="UserStream.Gate"/>), one at a time, never while writing to
/// <see cref="Output"/>.
/// </summary>
internal sealed class ConnectionState
{
    private const int DebugTextMax = 1000;

    public ConnectionState(GatewayContext context, ConnectionContext connection, SessionKind kind)
    {
        Context = context;
        Connection = connection;
        Input = connection.Transport.Input;
        Output = connection.Transport.Output;
        Kind = kind;
        Buffers = context.Buffers.Get();
        ConnectedMs = _lastReceivedMs = _lastSentMs = GatewayClock.NowMs;
    }

    // ---- Fixed.
    public GatewayContext Context { get; }
    public ConnectionContext Connection { get; }
    public PipeReader Input { get; }
    public PipeWriter Output { get; }
    /// <summary>Order entry, or read-only: market data (the order log), a snapshot of it, or drop copy (a group's
    /// executions); docs/protocol.md 12, 13.</summary>
    public SessionKind Kind { get; }
    public SessionBuffers Buffers { get; }
    public long ConnectedMs { get; }
    /// <summary>Wakes the sender: the log grew, a heartbeat is due, or the connection is closing.</summary>
    public AsyncSignal SenderWake { get; } = new();

    public IPAddress? RemoteAddress => (Connection.RemoteEndPoint as IPEndPoint)?.Address;

    // ---- Attached.
    private volatile Attachment? _attached;

    /// <summary>What login attached this connection to; null before login (and after a failed one).</summary>
    public Attachment? Attached => _attached;

    public bool LoggedIn => _attached is not null;

    /// <summary>Logged in, as <see cref="ConnectionAdmission"/> counts it (set once, with the login).</summary>
    public bool CountedLoggedIn { get; private set; }

    /// <summary>Login succeeded: the connection reads <paramref name="stream"/> from now on. The caller holds the
    /// stream's gate (the output thread reads <see cref="Attachment.LiveBase"/> under it).</summary>
    public void AttachUnderStreamGate(User user, UserStream stream, long liveBase)
    {
        _attached = new Attachment(user, stream, liveBase);
        Context.Admission.LoggedIn(RemoteAddress);
        CountedLoggedIn = true;
    }

    /// <summary>The sequence of the last command the receiver published for this connection (its message, or the
    /// gateway's reject of it); 0 before any. Written by the receive loop, read after it by the close on the same flow,
    /// which lets the answers up to it reach the stream before the goodbye.</summary>
    public long LastPublished;

    // ---- AnyThread: the close.
    private volatile bool _closing;
    private volatile bool _aborted;
    private volatile bool _endOfSession;
    private string? _closeReason;
    private long _drainTo;
    private long _closingSinceMs;

    public bool IsClosing => _closing;
    public bool IsAborted => _aborted;
    /// <summary>End of Session goes out before the close (server shutdown, or a snapshot fully sent).</summary>
    public bool EndOfSession => _endOfSession;
    public string? CloseReason => Volatile.Read(ref _closeReason);
    /// <summary>With a graceful close, the messages up to this one still go out.</summary>
    public long DrainTo => Volatile.Read(ref _drainTo);
    public long ClosingSinceMs => Volatile.Read(ref _closingSinceMs);

    /// <summary>Records why the connection ends (the first reason wins); the goodbye carries it.</summary>
    public void CloseFor(string reason) => Interlocked.CompareExchange(ref _closeReason, reason, null);

    public void MarkEndOfSession() => _endOfSession = true;

    /// <summary>
    /// Starts closing. With <paramref name="drain"/>, the messages the log holds now still go out first; a close that
    /// takes longer than two seconds (a peer that does not read) is turned into an abort by the timer.
    /// </summary>
    public void BeginClose(bool drain)
    {
        if (_closing) return;
        Volatile.Write(ref _drainTo, drain && _attached is { } a ? a.Stream.Log.Published : 0);
        Volatile.Write(ref _closingSinceMs, GatewayClock.NowMs);
        _closing = true;
        SenderWake.Set();
    }

    /// <summary>Marks the connection closing without waking anyone (the output thread, before it queues the abort).</summary>
    public bool TryMarkClosing()
    {
        if (_closing) return false;
        _closing = true;
        return true;
    }

    /// <summary>Closes at once without a goodbye (timeouts, slow consumer).</summary>
    public void Abort(string reason)
    {
        CloseFor(reason);
        _aborted = true;
        Volatile.Write(ref _closingSinceMs, GatewayClock.NowMs);
        _closing = true;
        Connection.Abort(new ConnectionAbortedException(reason));
        SenderWake.Set();
    }

    // ---- OneWriter clocks.
    private long _lastReceivedMs;
    private long _lastSentMs;
    private int _heartbeatDue;

    /// <summary>When the last packet came in (written by the receiver).</summary>
    public long LastReceivedMs => Volatile.Read(ref _lastReceivedMs);
    /// <summary>When the last packet went out (written by login, then by the sender).</summary>
    public long LastSentMs => Volatile.Read(ref _lastSentMs);

    public void MarkReceived(long nowMs) => Volatile.Write(ref _lastReceivedMs, nowMs);
    public void MarkSent(long nowMs) => Volatile.Write(ref _lastSentMs, nowMs);

    /// <summary>The timer: a heartbeat is due. True if it was not already (then the sender must be woken).</summary>
    public bool SetHeartbeatDue() => Interlocked.Exchange(ref _heartbeatDue, 1) == 0;

    /// <summary>The sender: takes the due heartbeat, if any.</summary>
    public bool TakeHeartbeatDue() => Interlocked.Exchange(ref _heartbeatDue, 0) == 1;

    /// <summary>The sender sent something: no heartbeat is needed.</summary>
    public void ClearHeartbeatDue() => Volatile.Write(ref _heartbeatDue, 0);

    // ---- Writing to Output (its one writer at the time only).

    /// <summary>A packet of <paramref name="type"/> with at most 1,000 bytes of <paramref name="payload"/>.</summary>
    public void WritePacket(byte type, ReadOnlySpan<byte> payload)
    {
        var n = Math.Min(payload.Length, DebugTextMax);
        var span = Output.GetSpan(3 + n);
        span[0] = (byte)((n + 1) >> 8);
        span[1] = (byte)(n + 1);
        span[2] = type;
        payload[..n].CopyTo(span[3..]);
        Output.Advance(3 + n);
    }

    /// <summary>Flushes, giving up (and aborting) if the peer does not take the bytes within a second.</summary>
    public async Task FlushWithTimeoutAsync()
    {
        using var timeout = new CancellationTokenSource(1000);
        try
        {
            await Output.FlushAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Abort("peer does not read");
        }
    }

    /// <summary>End of Session on shutdown, or a Debug packet with the reason after a protocol error or limit.</summary>
    public async Task GoodbyeAsync()
    {
        if (_endOfSession) WritePacket(PacketType.EndOfSession, default);
        else if (CloseReason is { } reason) WritePacket(PacketType.Debug, Encoding.ASCII.GetBytes(reason));
        else return;
        await FlushWithTimeoutAsync().ConfigureAwait(false);
    }

    /// <summary>What a successful login attached: immutable, published once (see <see cref="ConnectionState"/>).</summary>
    /// <param name="LiveBase">The log's length at login: messages after it are live, and only those count against the
    /// queue bound.</param>
    internal sealed record Attachment(User User, UserStream Stream, long LiveBase);
}
