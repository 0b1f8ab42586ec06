using Exchange.Core.Commands;
using Exchange.Core.Events;
using static Exchange.Testing.Exact;

namespace Exchange.Testing;

public sealed partial class ReferenceExchange
{
    /// <summary>
    /// The end of every command: for each account whose balance or position its events changed, in the order they
    /// first did, the state of each instrument touched (ascending), then the account's state.
    /// </summary>
    private void ReportTouchedAccounts()
    {
        var order = new List<int>();
        var instruments = new Dictionary<int, SortedSet<int>>();
        void Touch(int account, int? instrument)
        {
            if (!instruments.TryGetValue(account, out var set))
            {
                instruments[account] = set = new SortedSet<int>();
                order.Add(account);
            }
            // An event about the balance alone (an insurance payment for the account's remaining deficit) names no
            // instrument (-1), as in the core.
            if (instrument is { } i && i >= 0) set.Add(i);
        }

        foreach (var e in _events)
        {
            switch (e.Type)
            {
                case EventType.Trade or EventType.AdlClosure:
                    Touch(e.AccountId, e.InstrumentId);
                    Touch(e.CounterpartyId, e.InstrumentId);
                    break;
                case EventType.LiquidationFee or EventType.InsurancePayment:
                    Touch(e.AccountId, e.InstrumentId);
                    break;
                // Funding moves the balance alone: the position's size, cost and unrealized PnL stay.
                case EventType.Funding:
                case EventType.Deposited when e.AccountId != 0:
                case EventType.Withdrawn or EventType.Haircut or EventType.LiquidationEnded:
                    Touch(e.AccountId, null);
                    break;
            }
        }

        foreach (var account in order)
        {
            foreach (var i in instruments[account]) Emit(PositionState(account, i, adlQuintile: 0));
            Emit(AccountState(account));
        }
    }

    private Event PositionState(int account, int instrument, int adlQuintile)
    {
        var p = _accounts[account].Position(instrument);
        var (buy, sell) = OrderLots(account, instrument, null, null);
        var e = NewEvent(EventType.PositionState);
        e.AccountId = account;
        e.InstrumentId = instrument;
        e.Quantity = ToLong(p.Qty);
        e.Quote = ToLong(p.Cost);
        e.Amount = ToLong(Upnl(account, instrument));
        e.Price = ToLong(buy);
        e.Amount2 = ToLong(sell);
        e.CounterpartyId = adlQuintile;
        return e;
    }

    private Event AccountState(int account)
    {
        var e = NewEvent(EventType.AccountState);
        e.AccountId = account;
        e.Amount = ToLong(Balance(account));
        e.Amount2 = ToLong(Equity(account));
        e.Quote = ToLong(InitialMargin(account, null, null));
        e.Price = ToLong(Maintenance(account));
        e.Quantity = ToLong(FreeMargin(account));
        e.CounterpartyId = _orders.Count(o => o.AccountId == account);
        return e;
    }
}
