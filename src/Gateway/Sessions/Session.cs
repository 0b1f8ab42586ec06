using Exchange.Gateway.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Exchange.Gateway.Sessions;

/// <summary>
/// One SoupBinTCP connection, from accept to close: it puts together the parts that each have one job (the
/// <see cref="SessionReceiver"/> decodes and publishes, <see cref="SessionLogin"/> authenticates and admits, the
/// <see cref="SessionSender"/> drains the user's stream into the socket), which share one
/// <see cref="ConnectionState"/> and its contract; here are the timer's checks and the close. The receive side is the
/// only writer before login (Login Accepted/Rejected, Debug), the sender after it.
/// </summary>
internal sealed class Session
{
    private const int CloseTimeoutMs = 2_000;

    private readonly ConnectionState _state;
    private readonly SessionSender _sender;
    private readonly SessionReceiver _receiver;

    public Session(GatewayContext ctx, ConnectionContext connection, SessionKind kind)
    {
        _state = new ConnectionState(ctx, connection, kind);
        _sender = new SessionSender(_state);
        _receiver = new SessionReceiver(_state, new SessionLogin(_state, _sender));
    }

    /// <summary>Logged in, as <see cref="ConnectionAdmission"/> counts it (set once, with the login).</summary>
    public bool CountedLoggedIn => _state.CountedLoggedIn;

    public async Task RunAsync()
    {
        var ctx = _state.Context;
        var connection = _state.Connection;
        ctx.Registry.Add(this);
        try
        {
            if (!ctx.Stopping) await _receiver.RunAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            // The peer went away or the connection was aborted: nothing to answer.
        }
        catch (Exception e)
        {
            // A bug must not take the server down with this connection; say so loudly.
            ctx.Log.LogError(e, "Connection {Connection} failed", connection.ConnectionId);
        }
        finally
        {
            // After a protocol error or limit the client still gets the answers of what it sent before (the gateway's own
            // rejects included: they are journaled and answered in sequence, so they are awaited), then the reason.
            if (_state.CloseReason is not null) await AnsweredAsync().ConfigureAwait(false);
            _state.BeginClose(drain: _state.CloseReason is not null);
            try
            {
                if (_sender.Loop is { } loop) await loop.ConfigureAwait(false);
                else if (!_state.IsAborted) await _state.GoodbyeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (IsConnectionFailure(e))
            {
                // Gone while saying goodbye.
            }
            var attached = _state.Attached;
            if (attached is not null)
                lock (attached.Stream.Gate) attached.Stream.Detach(_sender);
            ctx.Registry.Remove(this);
            ctx.Buffers.Return(_state.Buffers);
            ctx.Log.LogInformation("Connection {Connection} from {Remote} ({User}) closed: {Reason}", connection.ConnectionId,
                connection.RemoteEndPoint, attached?.User.Name ?? "not logged in", _state.CloseReason ?? "by the client");
        }
    }

    /// <summary>
    /// Waits (at most the close timeout, never once the connection was aborted or the server stops) until the output side
    /// has written the answers of every command this connection published: the end of batch after them, where every
    /// stream they grew is written and published (<see cref="Routing.OutboundRouter.WrittenThrough"/>).
    /// </summary>
    private async Task AnsweredAsync()
    {
        var last = _state.LastPublished;
        var router = _state.Context.Router;
        var deadline = GatewayClock.NowMs + CloseTimeoutMs;
        while (last > 0 && router.WrittenThrough < last && !_state.IsAborted && !_state.Context.Stopping && GatewayClock.NowMs < deadline)
            await Task.Delay(1).ConfigureAwait(false);
    }

    /// <summary>Closes at once without a goodbye (timeouts, slow consumer). Any thread; idempotent.</summary>
    public void Abort(string reason) => _state.Abort(reason);

    /// <summary>Server shutdown: send End of Session and close.</summary>
    public void EndSession()
    {
        _state.MarkEndOfSession();
        _state.BeginClose(drain: true);
        _state.Input.CancelPendingRead();
    }

    /// <summary>Timer tick (any thread): login and idle timeouts, heartbeat due.</summary>
    public void Tick(long nowMs)
    {
        if (_state.IsClosing)
        {
            if (!_state.IsAborted && nowMs - _state.ClosingSinceMs > CloseTimeoutMs) Abort("close timed out");
            return;
        }
        var limits = _state.Context.Limits;
        if (!_state.LoggedIn)
        {
            if (nowMs - _state.ConnectedMs >= limits.LoginTimeoutMs) Abort("login timeout");
            return;
        }
        if (nowMs - _state.LastReceivedMs >= limits.IdleTimeoutMs)
        {
            Abort("no packet from the client within the idle timeout");
            return;
        }
        if (nowMs - _state.LastSentMs >= limits.HeartbeatIntervalMs && _state.SetHeartbeatDue())
            _state.SenderWake.Set();
    }

    /// <summary>The ways a connection ends under our feet: the peer resets, the connection is aborted, a read is cancelled.</summary>
    internal static bool IsConnectionFailure(Exception e) =>
        e is IOException or ConnectionAbortedException or ConnectionResetException or OperationCanceledException
            or ObjectDisposedException or System.Net.Sockets.SocketException;
}
