using Exchange.Core.Commands;
using Exchange.Core.Journal;
using Exchange.Gateway.Streams;
using CoreExchange = Exchange.Core.Exchange;

namespace Exchange.Gateway.Hosting;

/// <summary>
/// After a restart on an existing journal, each trader's highest order token is the highest client order id of its
/// orders in the journal (and among the open orders of the recovered state, which covers a snapshot whose journal was
/// pruned): enter-order tokens at or below it are then duplicates, so an order is never entered twice across a restart.
/// </summary>
internal static class TokenRecovery
{
    public static void Restore(string journal, CoreExchange recovered, IReadOnlyDictionary<int, UserStream> traders)
    {
        var highest = new Dictionary<int, long>();
        foreach (var account in traders.Keys)
            foreach (var order in recovered.OrdersOf(account))
                highest[account] = Math.Max(highest.GetValueOrDefault(account), order.ClientOrderId);
        if (journal.Length > 0 && Directory.Exists(journal))
        {
            using var reader = new JournalReader(journal);
            while (reader.Read(out var c) == JournalReadStatus.Record)
                if (c.Type == CommandType.NewOrder && traders.ContainsKey(c.AccountId))
                    highest[c.AccountId] = Math.Max(highest.GetValueOrDefault(c.AccountId), c.ClientOrderId);
        }
        foreach (var (account, token) in highest)
            traders[account].RestoreHighest((uint)Math.Min(token, uint.MaxValue));
    }
}
