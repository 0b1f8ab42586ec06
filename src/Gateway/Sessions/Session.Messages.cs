using Exchange.Client.Protocol;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Gateway.Protocol;
using Exchange.Gateway.Security;

namespace Exchange.Gateway.Sessions;

internal sealed partial class Session
{
    /// <summary>
    /// One application message, checked in the order of docs/protocol.md section 5: rate limit, type and length, role
    /// and account, field ranges; then everything goes to the exchange, whose core applies the token rules.
    /// </summary>
    private Step HandleMessage(ReadOnlySpan<byte> message)
    {
        var timestamp = GatewayClock.UnixNanos;
        var status = InboundDecoder.Decode(message, out var m);
        if (status != InboundStatus.Ok) m.Instrument = -1;
        if (!_bucket.TryTake(GatewayClock.NowMs))
        {
            Reject(timestamp, in m, RejectCode.RateLimited);
            return ++_floodRejects >= _ctx.Limits.FloodRejects ? Close("flood: rate limit exceeded") : Step.NeedMore;
        }
        _floodRejects = 0;
        if (status != InboundStatus.Ok) return Reject(timestamp, in m, RejectCode.Malformed);
        if (!Authorized(in m)) return Reject(timestamp, in m, RejectCode.NotAuthorized);
        if (!InRange(in m)) return Reject(timestamp, in m, RejectCode.Malformed);
        var command = ToCommand(in m, timestamp);
        // The user's token space: the core deduplicates by it, and answers a query with its next expected token.
        command.Origin = _user!.Origin;
        if (m.Type == Inbound.AccountQuery)
        {
            // Through the exchange like a command, answered after this user's earlier commands; no token is consumed.
            _ctx.Submitter.SubmitQuery(_stream!, in m, in command);
            return Step.NeedMore;
        }
        command.Token = m.Token;
        _ctx.Submitter.Submit(_stream!, in m, in command);
        return Step.NeedMore;
    }

    private Step Reject(long timestamp, in InboundMessage m, RejectCode code)
    {
        var stream = _stream!;
        _ctx.Rejects.Count(code);
        lock (stream.Gate)
        {
            stream.AppendRejected(timestamp, m.Token, m.Type, (byte)code, m.Account, m.Instrument, m.OrderId);
            stream.NotifyReaders();
        }
        return Step.NeedMore;
    }

    private bool Authorized(in InboundMessage m)
    {
        var user = _user!;
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
