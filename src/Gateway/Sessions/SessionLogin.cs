using System.Text;
using Exchange.Client.Protocol;
using Exchange.Gateway.Protocol;
using Exchange.Gateway.Security;
using Exchange.Gateway.Streams;
using Microsoft.Extensions.Logging;

namespace Exchange.Gateway.Sessions;

/// <summary>
/// Authentication and admission of one connection's login request (docs/protocol.md section 3): the failed-login
/// throttle, the password check, the session id, which stream the connection reads (its user's, the order log, a
/// fresh snapshot, a drop-copy group), the retention window and the per-user session cap. On success it attaches the
/// connection (<see cref="ConnectionState.AttachUnderStreamGate"/>), answers Login Accepted and starts the
/// <see cref="SessionSender"/>; otherwise it answers Login Rejected. Runs on the receive side, once, and is the only
/// writer to the transport while it runs. Lock contract: takes the chosen stream's gate once, to attach.
/// </summary>
internal sealed class SessionLogin(ConnectionState state, SessionSender sender)
{
    /// <summary>Checks the login request the receiver copied into the session's buffer; true when logged in.</summary>
    public async Task<bool> RunAsync()
    {
        var ctx = state.Context;
        var connection = state.Connection;
        var now = GatewayClock.NowMs;
        var address = state.RemoteAddress;
        if (!LoginCodec.TryParseRequest(state.Buffers.Login, out var username, out var password, out var session, out var sequence))
        {
            ctx.Throttle.RecordFailure(address, "", now);
            return await RejectAsync(PacketType.NotAuthorized, "malformed login request").ConfigureAwait(false);
        }
        if (ctx.Throttle.IsBlocked(address, username, now))
        {
            Array.Clear(password);
            return await RejectAsync(PacketType.NotAuthorized, "too many failed logins: try later").ConfigureAwait(false);
        }
        var (check, user) = await ctx.Users.VerifyAsync(username, password, connection.ConnectionClosed).ConfigureAwait(false);
        Array.Clear(password);
        if (check == LoginCheck.Busy)
            return await RejectAsync(PacketType.NotAuthorized, "too many logins being checked: try later").ConfigureAwait(false);
        if (user is null)
        {
            ctx.Throttle.RecordFailure(address, username, GatewayClock.NowMs);
            return await RejectAsync(PacketType.NotAuthorized, "not authorized").ConfigureAwait(false);
        }
        // A cluster node learns the cluster's session from the log's first barrier (docs/cluster.md): until then it has
        // no session to name in Login Accepted, and a client told a blank one could not resume anywhere.
        if (ctx.SessionId.Length == 0)
            return await RejectAsync(PacketType.SessionNotAvailable,
                "the cluster's session is not known on this node yet: try again, or another node").ConfigureAwait(false);
        if (session.Length > 0 && session != ctx.SessionId)
            return await RejectAsync(PacketType.SessionNotAvailable, $"session '{session}' is not available").ConfigureAwait(false);
        UserStream? stream;
        if (state.Kind == SessionKind.Snapshot)
        {
            // GLIMPSE-style: the book comes back through the exchange, in sequence, as a stream of this connection's own
            // whose last message names the order-log sequence that continues it. The whole snapshot, whatever was asked.
            var request = new MarketData.BookRequest();
            if (!ctx.Submitter.SubmitBookQuery(request))
                return await RejectAsync(PacketType.NotAuthorized, "the exchange is busy: try again").ConfigureAwait(false);
            stream = await request.Task.WaitAsync(connection.ConnectionClosed).ConfigureAwait(false);
            sequence = 1;
        }
        else
        {
            stream = state.Kind switch
            {
                SessionKind.MarketData => ctx.MarketData.Feed,
                SessionKind.DropCopy => ctx.DropCopy.GetValueOrDefault(user),
                _ => ctx.Streams[user],
            };
        }
        if (stream is null)
            return await RejectAsync(PacketType.NotAuthorized, "not a reader of any drop-copy group").ConfigureAwait(false);
        var attached = Attach(stream, user, sequence,
            state.Kind == SessionKind.OrderEntry ? ctx.Limits.MaxSessionsPerUser : ctx.Limits.MaxConnections, out var start);
        if (!attached && start == -2)
            return await RejectAsync(PacketType.SessionNotAvailable,
                $"messages {stream.Log.Published + 1} to {stream.FetchingTo} of this stream are being fetched on this node: try again, or another node")
                .ConfigureAwait(false);
        if (!attached && start < 0)
            return await RejectAsync(PacketType.SequenceNotRetained,
                $"sequence {sequence} is no longer retained: the oldest kept is {stream.Log.First}").ConfigureAwait(false);
        if (!attached)
            return await RejectAsync(PacketType.NotAuthorized, "too many sessions for this user").ConfigureAwait(false);
        ctx.Log.LogInformation("Connection {Connection} from {Remote} logged in as {User}, sending from {Sequence}",
            connection.ConnectionId, connection.RemoteEndPoint, user.Name, start);
        WriteLoginAccepted(start);
        state.MarkSent(GatewayClock.NowMs);
        state.MarkReceived(GatewayClock.NowMs);
        await state.Output.FlushAsync().ConfigureAwait(false);
        sender.Start();
        return true;
    }

    /// <summary>Attaches the sender to <paramref name="stream"/> under its gate; <paramref name="start"/> −1: the
    /// sequence asked for is before the retention window; −2: past what the stream holds while it is being fetched.</summary>
    private bool Attach(UserStream stream, User user, long sequence, int max, out long start)
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
            // A cluster node still fetching this stream's messages after a snapshot: what is asked for is not here yet.
            if (stream.FetchingTo > 0 && sequence > log.Published + 1)
            {
                start = -2;
                return false;
            }
            if (!stream.TryAttach(sender, max)) return false;
            log.Flush();
            var count = log.Published;
            start = sequence == 0 || sequence > count + 1 ? count + 1 : sequence;
            sender.StartAt(start);
            state.AttachUnderStreamGate(user, stream, liveBase: count);
            return true;
        }
    }

    private async Task<bool> RejectAsync(byte code, string reason)
    {
        state.Context.Log.LogInformation("Connection {Connection} from {Remote}: login rejected: {Reason}", state.Connection.ConnectionId,
            state.Connection.RemoteEndPoint, reason);
        state.WritePacket(PacketType.Debug, Encoding.ASCII.GetBytes(reason));
        state.WritePacket(PacketType.LoginRejected, [code]);
        await state.FlushWithTimeoutAsync().ConfigureAwait(false);
        return false;
    }

    private void WriteLoginAccepted(long start)
    {
        var output = state.Output;
        var span = output.GetSpan(3 + PacketType.LoginAcceptedPayload);
        span[0] = 0;
        span[1] = 1 + PacketType.LoginAcceptedPayload;
        span[2] = PacketType.LoginAccepted;
        LoginCodec.Accepted(span.Slice(3, PacketType.LoginAcceptedPayload), state.Context.SessionId, start);
        output.Advance(3 + PacketType.LoginAcceptedPayload);
    }
}
