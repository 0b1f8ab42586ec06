using System.Text;
using Exchange.Client.Protocol;
using Exchange.Gateway.Protocol;
using Exchange.Gateway.Security;
using Microsoft.Extensions.Logging;

namespace Exchange.Gateway.Sessions;

internal sealed partial class Session
{
    /// <summary>Checks the login request copied into the session's buffer; on success starts the sender loop.</summary>
    private async Task<bool> LoginAsync()
    {
        var now = GatewayClock.NowMs;
        var address = RemoteAddress;
        if (!LoginCodec.TryParseRequest(_buffers.Login, out var username, out var password, out var session, out var sequence))
        {
            _ctx.Throttle.RecordFailure(address, "", now);
            return await RejectLoginAsync(PacketType.NotAuthorized, "malformed login request").ConfigureAwait(false);
        }
        if (_ctx.Throttle.IsBlocked(address, username, now))
        {
            Array.Clear(password);
            return await RejectLoginAsync(PacketType.NotAuthorized, "too many failed logins: try later").ConfigureAwait(false);
        }
        var (check, user) = await _ctx.Users.VerifyAsync(username, password, _connection.ConnectionClosed).ConfigureAwait(false);
        Array.Clear(password);
        if (check == LoginCheck.Busy)
            return await RejectLoginAsync(PacketType.NotAuthorized, "too many logins being checked: try later").ConfigureAwait(false);
        if (user is null)
        {
            _ctx.Throttle.RecordFailure(address, username, GatewayClock.NowMs);
            return await RejectLoginAsync(PacketType.NotAuthorized, "not authorized").ConfigureAwait(false);
        }
        if (session.Length > 0 && session != _ctx.SessionId)
            return await RejectLoginAsync(PacketType.SessionNotAvailable, $"session '{session}' is not available").ConfigureAwait(false);
        Streams.UserStream? stream;
        if (_kind == SessionKind.Snapshot)
        {
            // GLIMPSE-style: the book comes back through the exchange, in sequence, as a stream of this connection's own
            // whose last message names the order-log sequence that continues it. The whole snapshot, whatever was asked.
            var request = new MarketData.BookRequest();
            if (!_ctx.Submitter.SubmitBookQuery(request))
                return await RejectLoginAsync(PacketType.NotAuthorized, "the exchange is busy: try again").ConfigureAwait(false);
            stream = await request.Task.WaitAsync(_connection.ConnectionClosed).ConfigureAwait(false);
            sequence = 1;
        }
        else
        {
            stream = _kind switch
            {
                SessionKind.MarketData => _ctx.MarketData.Feed,
                SessionKind.DropCopy => _ctx.DropCopy.GetValueOrDefault(user),
                _ => _ctx.Streams[user],
            };
        }
        if (stream is null)
            return await RejectLoginAsync(PacketType.NotAuthorized, "not a reader of any drop-copy group").ConfigureAwait(false);
        var attached = Attach(stream, user, sequence,
            _kind == SessionKind.OrderEntry ? _ctx.Limits.MaxSessionsPerUser : _ctx.Limits.MaxConnections, out var start);
        if (!attached && start < 0)
            return await RejectLoginAsync(PacketType.SequenceNotRetained,
                $"sequence {sequence} is no longer retained: the oldest kept is {stream.Log.First}").ConfigureAwait(false);
        if (!attached)
            return await RejectLoginAsync(PacketType.NotAuthorized, "too many sessions for this user").ConfigureAwait(false);
        _ctx.Log.LogInformation("Connection {Connection} from {Remote} logged in as {User}, sending from {Sequence}",
            _connection.ConnectionId, _connection.RemoteEndPoint, user.Name, start);
        WriteLoginAccepted(start);
        Volatile.Write(ref _lastSentMs, GatewayClock.NowMs);
        Volatile.Write(ref _lastReceivedMs, GatewayClock.NowMs);
        await _output.FlushAsync().ConfigureAwait(false);
        _sender = Task.Run(SendAsync);
        return true;
    }

    private bool Attach(Streams.UserStream stream, Security.User user, long sequence, int max, out long start)
    {
        start = 0;
        lock (stream.Gate)
        {
            var log = stream.Log;
            // A replay from before the retention window cannot be served: refused (start −1), not silently shortened.
            if (sequence > 0 && sequence < log.First)
            {
                start = -1;
                return false;
            }
            if (!stream.TryAttach(this, max)) return false;
            log.Flush();
            var count = log.Published;
            start = sequence == 0 || sequence > count + 1 ? count + 1 : sequence;
            _liveBase = count;
            Volatile.Write(ref _cursor, start);
            _user = user;
            _stream = stream;
            _loggedIn = true;
            _ctx.Admission.LoggedIn(RemoteAddress);
            CountedLoggedIn = true;
            return true;
        }
    }

    private async Task<bool> RejectLoginAsync(byte code, string reason)
    {
        _ctx.Log.LogInformation("Connection {Connection} from {Remote}: login rejected: {Reason}", _connection.ConnectionId,
            _connection.RemoteEndPoint, reason);
        WritePacket(PacketType.Debug, Encoding.ASCII.GetBytes(reason));
        WritePacket(PacketType.LoginRejected, [code]);
        await FlushWithTimeoutAsync().ConfigureAwait(false);
        return false;
    }

    private void WriteLoginAccepted(long start)
    {
        var span = _output.GetSpan(3 + PacketType.LoginAcceptedPayload);
        span[0] = 0;
        span[1] = 1 + PacketType.LoginAcceptedPayload;
        span[2] = PacketType.LoginAccepted;
        LoginCodec.Accepted(span.Slice(3, PacketType.LoginAcceptedPayload), _ctx.SessionId, start);
        _output.Advance(3 + PacketType.LoginAcceptedPayload);
    }

    private void WritePacket(byte type, ReadOnlySpan<byte> payload)
    {
        var n = Math.Min(payload.Length, 1000);
        var span = _output.GetSpan(3 + n);
        span[0] = (byte)((n + 1) >> 8);
        span[1] = (byte)(n + 1);
        span[2] = type;
        payload[..n].CopyTo(span[3..]);
        _output.Advance(3 + n);
    }

    /// <summary>Flushes, giving up (and aborting) if the peer does not take the bytes within a second.</summary>
    private async Task FlushWithTimeoutAsync()
    {
        using var timeout = new CancellationTokenSource(1000);
        try
        {
            await _output.FlushAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Abort("peer does not read");
        }
    }
}
