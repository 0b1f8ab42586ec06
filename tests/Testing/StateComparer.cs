using Exchange.Core.Commands;
using Exchange.Core.Events;

namespace Exchange.Testing;

/// <summary>
/// Compares the fast core with the reference model: the events of one command, in order and field by field, and
/// then everything observable about the state (ledgers, marks, ids, balances, positions, open lots, order lists and
/// books in priority order).
/// </summary>
public static class StateComparer
{
    public static void CompareEvents(Command command, IReadOnlyList<Event> core, IReadOnlyList<Event> model)
    {
        var n = Math.Min(core.Count, model.Count);
        var first = -1;
        for (var i = 0; i < n && first < 0; i++)
            if (!core[i].Equals(model[i])) first = i;
        if (first < 0 && core.Count == model.Count) return;
        if (first < 0) first = n;
        string At(IReadOnlyList<Event> list) => first < list.Count ? list[first].ToString() : "(no event)";
        throw new ModelMismatchException(
            $"events differ at index {first} of {CommandText.Format(command)}\n" +
            $"  core:  {At(core)}\n  model: {At(model)}\n" +
            $"core stream:\n    {string.Join("\n    ", core)}\nmodel stream:\n    {string.Join("\n    ", model)}");
    }

    public static void CompareState(ExchangeSnapshot core, ExchangeSnapshot model)
    {
        var diff = FirstDifference(core, model);
        if (diff is not null) throw new ModelMismatchException("state differs: " + diff);
    }

    public static string? FirstDifference(ExchangeSnapshot core, ExchangeSnapshot model)
    {
        if (core.Insurance != model.Insurance) return $"insurance core {core.Insurance} model {model.Insurance}";
        if (core.Fees != model.Fees) return $"fees core {core.Fees} model {model.Fees}";
        if (core.ExchangeLedger != model.ExchangeLedger) return $"exchange core {core.ExchangeLedger} model {model.ExchangeLedger}";
        if (core.Deposits != model.Deposits) return $"deposits core {core.Deposits} model {model.Deposits}";
        if (core.Withdrawals != model.Withdrawals) return $"withdrawals core {core.Withdrawals} model {model.Withdrawals}";
        if (core.LastOrderId != model.LastOrderId) return $"last order id core {core.LastOrderId} model {model.LastOrderId}";
        if (core.LastTradeId != model.LastTradeId) return $"last trade id core {core.LastTradeId} model {model.LastTradeId}";
        if (!core.Marks.SequenceEqual(model.Marks)) return $"marks core [{string.Join(", ", core.Marks)}] model [{string.Join(", ", model.Marks)}]";
        var coreIds = core.Accounts.Select(a => a.Id).ToList();
        var modelIds = model.Accounts.Select(a => a.Id).ToList();
        if (!coreIds.SequenceEqual(modelIds)) return $"accounts core [{string.Join(", ", coreIds)}] model [{string.Join(", ", modelIds)}]";
        for (var k = 0; k < core.Accounts.Count; k++)
        {
            var c = core.Accounts[k];
            var m = model.Accounts[k];
            if (c.Balance != m.Balance) return $"account {c.Id} balance core {c.Balance} model {m.Balance}";
            for (var i = 0; i < core.Specs.Count; i++)
            {
                if (c.Qty[i] != m.Qty[i] || c.Cost[i] != m.Cost[i])
                    return $"account {c.Id} instrument {i} position core {c.Qty[i]} (C {c.Cost[i]}) model {m.Qty[i]} (C {m.Cost[i]})";
                if (c.BuyLots[i] != m.BuyLots[i] || c.SellLots[i] != m.SellLots[i])
                    return $"account {c.Id} instrument {i} open lots core {c.BuyLots[i]}/{c.SellLots[i]} model {m.BuyLots[i]}/{m.SellLots[i]}";
            }
            // E - order loss - IM: the figure every margin check compares with zero, so a wrong one shows here first.
            if (c.FreeMargin != m.FreeMargin) return $"account {c.Id} free margin core {c.FreeMargin} model {m.FreeMargin}";
            if (!c.Orders.SequenceEqual(m.Orders))
                return $"account {c.Id} orders core [{string.Join("; ", c.Orders)}] model [{string.Join("; ", m.Orders)}]";
        }
        for (var i = 0; i < core.Specs.Count; i++)
            foreach (var side in new[] { Side.Buy, Side.Sell })
            {
                var c = core.Books[i][(int)side];
                var m = model.Books[i][(int)side];
                if (!c.SequenceEqual(m))
                    return $"book {i} {side} core [{string.Join("; ", c)}] model [{string.Join("; ", m)}]";
                if (!core.Levels[i][(int)side].SequenceEqual(model.Levels[i][(int)side]))
                    return $"levels {i} {side} core [{string.Join("; ", core.Levels[i][(int)side])}] model [{string.Join("; ", model.Levels[i][(int)side])}]";
            }
        return null;
    }
}
