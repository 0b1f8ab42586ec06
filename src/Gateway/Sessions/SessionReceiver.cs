using System.Buffers;
using System.Diagnostics;
using Exchange.Client.Protocol;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Gateway.Diagnostics;
using Exchange.Gateway.Protocol;
using Exchange.Gateway.Security;

namespace Exchange.Gateway.Sessions;

/// <summary>
/// A connection's receive side: decodes SoupBinTCP frames, answers the session-level packets, hands a login request to
/// <see cref="SessionLogin"/>, and checks each application message in the order of docs/protocol.md section 5 (rate
/// limit, type and length, role and account, field ranges) before it publishes it through the
/// <see cref="Routing.CommandSubmitter"/>; the core applies the token rules. A message it refuses is published too, as a
/// gateway reject the core answers (so the J is journaled: docs/protocol.md section 8). Its own state (the rate limit's
/// buckets, the flood count, the last sequence published) is its loop's alone. Lock contract: takes no lock (the
/// submitter takes its user's stream gate to publish).
/// </summary>
internal sealed class SessionReceiver(ConnectionState state, SessionLogin login)
{
    private readonly TokenBucket _bucket = new(state.Context.Limits.RatePerSecond, state.Context.Limits.RateBurst);
    // Every RATE_LIMITED answer is a journal record: a connection that keeps sending over its limit may have at most
    // this many a second, and is closed past it (docs/protocol.md section 9).
    private readonly TokenBucket _rateLimited = new(state.Context.Limits.MaxRateLimitedPerSecond, state.Context.Limits.MaxRateLimitedPerSecond);
    private int _floodRejects;

    // A refused message whose J the exchange could not take yet (its input ring, the reserve for the gateway's rejects
    // included, or the pending table was full): nothing more is read from the connection until it is published.
    private InboundMessage _waiting;
    private long _waitingTimestamp;
    private RejectCode _waitingCode;

    /// <summary>Reads until the peer goes, logs out, breaks the protocol, or the connection closes.</summary>
    public async Task RunAsync()
    {
        var input = state.Input;
        while (!state.IsClosing)
        {
            var result = await input.ReadAsync().ConfigureAwait(false);
            if (StageLatency.On) StageLatency.ReadAt = Stopwatch.GetTimestamp();
            var buffer = result.Buffer;
            Step step;
            try
            {
                step = ProcessFrames(ref buffer);
            }
            finally
            {
                // What this read published runs now, as one batch, on this thread when no other is running the exchange.
                state.Context.Submitter.RunPublished();
            }
            if (step == Step.NeedMore) input.AdvanceTo(buffer.Start, buffer.End);
            else input.AdvanceTo(buffer.Start);
            if (step == Step.Login && !await login.RunAsync().ConfigureAwait(false)) return;
            if (step == Step.Wait)
            {
                // Frames may follow the one that waited: read on (they are still in the pipe) unless closing.
                if (!await PublishWaitingAsync().ConfigureAwait(false)) return;
                continue;
            }
            if (step == Step.Close || result.IsCompleted || result.IsCanceled) return;
        }
    }

    private enum Step : byte { NeedMore, Login, Close, Wait }

    /// <summary>
    /// The exchange is saturated: retries the waiting J every millisecond until the exchange takes it (backpressure on
    /// this connection alone: its client's further messages wait in the socket). The message was not executed and is
    /// answered RATE_LIMITED (or its own code) as always, only later. False once the connection is closing (the idle
    /// timeout ends a wait on an exchange that never drains).
    /// </summary>
    private async Task<bool> PublishWaitingAsync()
    {
        var attached = state.Attached!;
        while (!state.IsClosing)
        {
            var sequence = state.Context.Submitter.Reject(attached.Stream, attached.User.Origin, in _waiting, _waitingTimestamp, _waitingCode);
            if (sequence != 0)
            {
                state.Context.Submitter.RunPublished();
                state.LastPublished = sequence;
                return true;
            }
            await Task.Delay(1).ConfigureAwait(false);
        }
        return false;
    }

    private Step ProcessFrames(ref ReadOnlySequence<byte> buffer)
    {
        var maxFrame = state.Context.Limits.MaxFrameLength;
        while (!state.IsClosing)
        {
            switch (FrameDecoder.TryRead(ref buffer, maxFrame, out var frame))
            {
                case FrameStatus.Incomplete:
                    return Step.NeedMore;
                case FrameStatus.Empty:
                    return Close("empty packet");
                case FrameStatus.TooLong:
                    return Close($"packet longer than {maxFrame} bytes");
            }
            state.MarkReceived(GatewayClock.NowMs);
            ReadOnlySpan<byte> packet;
            if (frame.IsSingleSegment)
            {
                packet = frame.FirstSpan;
            }
            else
            {
                frame.CopyTo(state.Buffers.Frame);
                packet = state.Buffers.Frame.AsSpan(0, (int)frame.Length);
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
        if (!state.LoggedIn)
        {
            // A Debug packet may come from either side at any time (SoupBinTCP 3.00): read and ignored.
            if (type == PacketType.Debug) return Step.NeedMore;
            if (type != PacketType.LoginRequest) return Close("the first packet must be a login request");
            if (payload.Length != PacketType.LoginRequestPayload) return Close("login request of the wrong length");
            payload.CopyTo(state.Buffers.Login);
            return Step.Login;
        }
        switch (type)
        {
            case PacketType.UnsequencedData:
                if (state.Kind == SessionKind.MarketData) return Close("market-data sessions are read-only");
                if (state.Kind == SessionKind.DropCopy) return Close("drop-copy sessions are read-only");
                if (state.Kind == SessionKind.Snapshot) return Close("snapshot sessions are read-only");
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
        state.CloseFor(reason);
        return Step.Close;
    }

    /// <summary>
    /// One application message, checked in the order of docs/protocol.md section 5: rate limit, type and length, role
    /// and account, field ranges; then everything goes to the exchange, whose core applies the token rules.
    /// </summary>
    private Step HandleMessage(ReadOnlySpan<byte> message)
    {
        var ctx = state.Context;
        var attached = state.Attached!;
        var timestamp = GatewayClock.UnixNanos;
        var status = InboundDecoder.Decode(message, out var m);
        if (status != InboundStatus.Ok) m.Instrument = -1;
        var now = GatewayClock.NowMs;
        if (!_bucket.TryTake(now))
        {
            if (!_rateLimited.TryTake(now))
                return Close($"flood: more than {ctx.Limits.MaxRateLimitedPerSecond} rate-limited messages a second");
            var rejected = Reject(timestamp, in m, RejectCode.RateLimited);
            return ++_floodRejects >= ctx.Limits.FloodRejects ? Close("flood: rate limit exceeded") : rejected;
        }
        _floodRejects = 0;
        if (status != InboundStatus.Ok) return Reject(timestamp, in m, RejectCode.Malformed);
        if (!Authorized(attached.User, in m)) return Reject(timestamp, in m, RejectCode.NotAuthorized);
        if (!InRange(in m)) return Reject(timestamp, in m, RejectCode.Malformed);
        var command = ToCommand(in m, timestamp);
        // The user's token space: the core deduplicates by it, and answers a query with its next expected token. The
        // message's token is journaled with it (a query's too, never deduplicated: its answer echoes it).
        command.Origin = attached.User.Origin;
        command.Token = m.Token;
        // An account query goes through the exchange like a command, answered after this user's earlier commands; it
        // consumes no token.
        return Published(ctx.Submitter.Submit(attached.Stream, in m, in command), timestamp, in m, RejectCode.RateLimited);
    }

    /// <summary>Refuses a message: the J is the core's answer to a journaled gateway reject, in sequence.</summary>
    private Step Reject(long timestamp, in InboundMessage m, RejectCode code)
    {
        var attached = state.Attached!;
        return Published(state.Context.Submitter.Reject(attached.Stream, attached.User.Origin, in m, timestamp, code), timestamp, in m, code);
    }

    /// <summary>Notes what was published (the close waits for its answer); 0: the exchange could take neither the
    /// message nor its J (<paramref name="code"/>: RATE_LIMITED for a message it could not take), which then waits
    /// for room (<see cref="PublishWaitingAsync"/>).</summary>
    private Step Published(long sequence, long timestamp, in InboundMessage m, RejectCode code)
    {
        if (sequence == 0)
        {
            _waiting = m;
            _waitingTimestamp = timestamp;
            _waitingCode = code;
            return Step.Wait;
        }
        state.LastPublished = sequence;
        return Step.NeedMore;
    }

    private static bool Authorized(User user, in InboundMessage m)
    {
        // Account 0 asks for nothing but the user's next expected token: every role may.
        if (m.Type == Inbound.AccountQuery && m.Account == 0) return true;
        return user.Role switch
        {
            Role.Trader => m.Type is Inbound.EnterOrder or Inbound.ReplaceOrder or Inbound.CancelOrder or Inbound.CancelAll
                or Inbound.AccountQuery && m.Account == (uint)user.Account,
            Role.PriceFeed => m.Type is Inbound.SetMark or Inbound.Funding,
            Role.Admin => m.Type is Inbound.Deposit or Inbound.Withdraw or Inbound.InsuranceDeposit or Inbound.AccountQuery
                or Inbound.ResumeTrading,
            _ => false,
        };
    }

    /// <summary>
    /// What the core's command cannot carry, or the protocol forbids: token 0 (but in a query), an account past 2^31 − 1,
    /// a negative instrument, unknown flag bits, and enumeration values outside docs/protocol.md section 2 (side, order
    /// type, TIF, STP). All MALFORMED before the token check, so such a message consumes no token.
    /// </summary>
    private static bool InRange(in InboundMessage m)
    {
        if (m.Token == 0 && m.Type != Inbound.AccountQuery) return false;
        if (m.Account > int.MaxValue) return false;
        return m.Type switch
        {
            Inbound.EnterOrder => m.Instrument >= 0 && (m.Flags & ~(Inbound.PostOnly | Inbound.ReduceOnly)) == 0
                && m.Side <= 1 && m.OrderType <= 1 && m.TimeInForce <= 2 && m.Stp <= 2,
            Inbound.SetMark or Inbound.Funding or Inbound.ResumeTrading => m.Instrument >= 0,
            Inbound.CancelAll => m.Instrument >= Command.AllInstruments,
            _ => true,
        };
    }

    private static Command ToCommand(in InboundMessage m, long timestamp)
    {
        var account = (int)m.Account;
        var command = m.Type switch
        {
            Inbound.EnterOrder => Command.NewOrder(account, m.Instrument, (Side)m.Side, (OrderType)m.OrderType, m.Price,
                m.Quantity, (TimeInForce)m.TimeInForce, (OrderFlags)m.Flags, (SelfTradePrevention)m.Stp, m.Token),
            Inbound.ReplaceOrder => Command.AmendOrder(account, m.OrderId, m.Price, m.Quantity, m.OrderToken),
            Inbound.CancelOrder => Command.CancelOrder(account, m.OrderId, m.OrderToken),
            Inbound.CancelAll => Command.CancelAllOrders(account, m.Instrument),
            Inbound.SetMark => Command.Mark(m.Instrument, m.Price),
            Inbound.Funding => Command.FundingAt(m.Instrument, m.Amount),
            Inbound.Deposit => Command.DepositTo(account, m.Amount),
            Inbound.Withdraw => Command.WithdrawFrom(account, m.Amount),
            Inbound.AccountQuery => Command.AccountQuery(account),
            Inbound.ResumeTrading => Command.Resume(m.Instrument),
            _ => Command.InsuranceDeposit(m.Amount),
        };
        command.Timestamp = timestamp;
        return command;
    }
}
