using System.Numerics;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using static Exchange.Testing.Exact;

namespace Exchange.Testing;

/// <summary>
/// RULEBOOK sections 2-3 from the events alone: starting from the state before a command, applies each event's money
/// and each fill (trades and ADL closures) by the position rules, asserting per fill that
/// <c>delta(balance - C) == -sign(f) * V</c>, and then requires the result to equal the state after the command. So every
/// unit that moved is reported by an event, and every fill followed section 3.
/// </summary>
public static class FillAccountingChecker
{
    private sealed class Books(int instruments)
    {
        public BigInteger Balance;
        public readonly BigInteger[] Qty = new BigInteger[instruments];
        public readonly BigInteger[] Cost = new BigInteger[instruments];
    }

    public static void Check(Command command, ExchangeSnapshot before, IReadOnlyList<Event> events, ExchangeSnapshot after)
    {
        var found = Violations(before, events, after);
        if (found.Count > 0)
            throw new InvariantViolationException($"accounting of {CommandText.Format(command)} broken:\n  " + string.Join("\n  ", found));
    }

    public static List<string> Violations(ExchangeSnapshot before, IReadOnlyList<Event> events, ExchangeSnapshot after)
    {
        var found = new List<string>();
        var n = before.Specs.Count;
        var accounts = new Dictionary<int, Books>();
        foreach (var a in before.Accounts)
        {
            var b = new Books(n) { Balance = a.Balance };
            a.Qty.CopyTo(b.Qty, 0);
            a.Cost.CopyTo(b.Cost, 0);
            accounts[a.Id] = b;
        }
        Books Of(int id) => accounts.TryGetValue(id, out var b) ? b : accounts[id] = new Books(n);
        BigInteger insurance = before.Insurance, fees = before.Fees, exchange = before.ExchangeLedger;

        void Fill(int account, int instrument, BigInteger f, BigInteger quote, Event e)
        {
            var b = Of(account);
            var was = b.Balance - b.Cost[instrument];
            Apply(b, instrument, f, quote);
            var delta = b.Balance - b.Cost[instrument] - was;
            if (delta != -f.Sign * quote) found.Add($"account {account}: delta(balance - C) = {delta}, not -sign(f) V = {-f.Sign * quote} in {e}");
        }

        foreach (var e in events)
        {
            switch (e.Type)
            {
                case EventType.Deposited:
                    if (e.AccountId == 0) insurance += e.Amount; else Of(e.AccountId).Balance += e.Amount;
                    break;
                case EventType.Withdrawn: Of(e.AccountId).Balance -= e.Amount; break;
                case EventType.Trade:
                {
                    var expected = (BigInteger)e.Quantity * e.Price * before.Specs[e.InstrumentId].TickValue;
                    if (e.Quote != expected) found.Add($"trade quote {e.Quote} != qty x price x tick_value {expected}: {e}");
                    Of(e.AccountId).Balance -= e.Amount;
                    Of(e.CounterpartyId).Balance -= e.Amount2;
                    fees += e.Amount + e.Amount2;
                    BigInteger f = e.Side == Side.Buy ? e.Quantity : -e.Quantity;
                    Fill(e.AccountId, e.InstrumentId, f, e.Quote, e);
                    Fill(e.CounterpartyId, e.InstrumentId, -f, e.Quote, e);
                    break;
                }
                case EventType.AdlClosure:
                {
                    BigInteger f = e.Side == Side.Buy ? e.Quantity : -e.Quantity;
                    Fill(e.AccountId, e.InstrumentId, f, e.Quote, e);
                    Fill(e.CounterpartyId, e.InstrumentId, -f, e.Quote, e);
                    break;
                }
                case EventType.Funding: Of(e.AccountId).Balance += e.Amount; break;
                case EventType.FundingDust: insurance += e.Amount; break;
                case EventType.LiquidationFee:
                    Of(e.AccountId).Balance -= e.Amount;
                    insurance += e.Amount;
                    break;
                case EventType.InsurancePayment:
                    Of(e.AccountId).Balance += e.Amount;
                    insurance -= e.Amount;
                    break;
                case EventType.Haircut:
                    Of(e.AccountId).Balance -= e.Amount;
                    Of(e.CounterpartyId).Balance += e.Amount;
                    break;
                case EventType.ExchangeLoss:
                    Of(e.AccountId).Balance += e.Amount;
                    exchange -= e.Amount;
                    break;
            }
        }

        if (insurance != after.Insurance) found.Add($"insurance: events say {insurance}, state says {after.Insurance}");
        if (fees != after.Fees) found.Add($"fees: events say {fees}, state says {after.Fees}");
        if (exchange != after.ExchangeLedger) found.Add($"exchange: events say {exchange}, state says {after.ExchangeLedger}");
        foreach (var a in after.Accounts)
        {
            var b = Of(a.Id);
            if (b.Balance != a.Balance) found.Add($"account {a.Id}: events say balance {b.Balance}, state says {a.Balance}");
            for (var i = 0; i < n; i++)
                if (b.Qty[i] != a.Qty[i] || b.Cost[i] != a.Cost[i])
                    found.Add($"account {a.Id} instrument {i}: events say q={b.Qty[i]} C={b.Cost[i]}, state says q={a.Qty[i]} C={a.Cost[i]}");
        }
        return found;
    }

    /// <summary>Section 3: add (q += f, C += sign(f) V), or reduce k lots realizing sign(q) V_k - C k / |q| (truncated),
    /// the flip's rest opening with V - floor(V k / |f|).</summary>
    private static void Apply(Books b, int i, BigInteger f, BigInteger quote)
    {
        var q = b.Qty[i];
        if (q.IsZero || q.Sign == f.Sign)
        {
            b.Qty[i] = q + f;
            b.Cost[i] += f.Sign * quote;
            return;
        }
        var k = Min(BigInteger.Abs(f), BigInteger.Abs(q));
        var vk = BigInteger.Abs(f) > BigInteger.Abs(q) ? Floor(quote * k, BigInteger.Abs(f)) : quote;
        var removed = Trunc(b.Cost[i] * k, BigInteger.Abs(q));
        b.Balance += q.Sign * vk - removed;
        b.Cost[i] -= removed;
        b.Qty[i] = q - q.Sign * k;
        var rest = BigInteger.Abs(f) - k;
        if (rest > 0)
        {
            b.Qty[i] += f.Sign * rest;
            b.Cost[i] += f.Sign * (quote - vk);
        }
    }
}
