using System.Numerics;
using CoreExchange = Exchange.Core.Exchange;
using Exchange.Client.Protocol;
using Exchange.Core.Events;
using Exchange.Gateway.Protocol;
using Exchange.Gateway.Streams;

namespace Exchange.Gateway.Routing;

/// <summary>
/// Writes the account-state messages read from the router's state: position and balance updates after a command, and answers
/// to account queries. Callers hold the router's gate and the target stream's gate.
/// </summary>
internal sealed class AccountReporter(CoreExchange state)
{
    /// <summary>One <c>P</c> per touched instrument, then a <c>B</c>, to the account's trader; returns the last sequence.</summary>
    public int Updates(UserStream stream, uint token, long timestamp)
    {
        var account = stream.User.Account;
        var log = stream.Log;
        for (var mask = stream.TouchedInstruments; mask != 0; mask &= mask - 1)
        {
            var i = BitOperations.TrailingZeroCount(mask);
            log.Commit(OutboundEncoder.PositionUpdate(log.Reserve(Outbound.PositionUpdateLength), timestamp, token, account, i,
                state.PositionQty(account, i), state.PositionCost(account, i), state.Upnl(account, i)));
        }
        return log.Commit(OutboundEncoder.BalanceUpdate(log.Reserve(Outbound.BalanceUpdateLength), timestamp, token, account,
            state.Balance(account), state.Equity(account), state.MaintenanceMargin(account), state.FreeMargin(account),
            state.OpenOrders(account)));
    }

    /// <summary>
    /// Writes the answer to an account query into <paramref name="to"/>; returns its sequence. Account 0 is answered
    /// with zeros and the user's next expected token only.
    /// </summary>
    public int Answer(UserStream to, uint token, int account, long timestamp)
    {
        var next = to.HighestToken + 1;
        if (account == 0)
            return to.Log.Commit(OutboundEncoder.AccountState(to.Log.Reserve(Outbound.AccountStateHeaderLength), timestamp, token,
                0, 0, 0, 0, 0, 0, next, 0));
        if (account < 0 || account > state.MaxAccountId || !state.AccountExists(account))
            return to.AppendRejected(timestamp, token, Inbound.AccountQuery, (byte)RejectCode.UnknownAccount, (uint)account, -1, 0);
        var n = state.InstrumentCount;
        var span = to.Log.Reserve(Outbound.AccountStateHeaderLength + n * Outbound.AccountStateEntryLength);
        var count = 0;
        for (var i = 0; i < n; i++)
        {
            var q = state.PositionQty(account, i);
            var buy = state.OpenBuyLots(account, i);
            var sell = state.OpenSellLots(account, i);
            if (q == 0 && buy == 0 && sell == 0) continue;
            // AdlQuintile ranks the whole side of the queue: paid only here, on request, never per fill.
            var quintile = q == 0 ? 0 : state.AdlQuintile(account, i);
            OutboundEncoder.AccountStateEntry(span[(Outbound.AccountStateHeaderLength + count * Outbound.AccountStateEntryLength)..],
                i, q, state.PositionCost(account, i), state.Upnl(account, i), buy, sell, (byte)quintile);
            count++;
        }
        OutboundEncoder.AccountState(span, timestamp, token, account, state.Balance(account), state.Equity(account),
            state.MaintenanceMargin(account), state.FreeMargin(account), state.OpenOrders(account), next, (byte)count);
        return to.Log.Commit(Outbound.AccountStateHeaderLength + count * Outbound.AccountStateEntryLength);
    }
}
