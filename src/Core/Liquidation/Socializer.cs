using System.Numerics;
using Exchange.Core.Accounts;
using Exchange.Core.Events;
using Exchange.Core.Risk;

namespace Exchange.Core.Liquidation;

/// <summary>
/// Socialized losses (RULEBOOK section 8 step 4): weights are the positive upnl of each other account in the
/// bankrupt's instruments, measured before ADL closes anything; a deficit D is split as floor(D x w / W) with the
/// leftover units going one each to the largest remainders (ties by lower id), never above w. What the weights
/// cannot cover goes to the exchange ledger.
/// </summary>
internal sealed class Socializer
{
    private readonly AccountStore _accounts;
    private readonly MarginCalculator _margin;
    private readonly Ledgers _ledgers;
    private readonly EventBuffer _events;
    private readonly LiquidationIndex _index;
    private long[] _weight = new long[1024];
    private int[] _payers = new int[256];
    private int _payerCount;
    private Remainder[] _remainders = new Remainder[256];

    public Socializer(AccountStore accounts, MarginCalculator margin, Ledgers ledgers, EventBuffer events, LiquidationIndex index)
    {
        _accounts = accounts;
        _margin = margin;
        _ledgers = ledgers;
        _events = events;
        _index = index;
    }

    /// <summary>Measures the weights of every other account in the instruments of <paramref name="mask"/>.</summary>
    public void Measure(int bankrupt, ulong mask)
    {
        Clear();
        for (; mask != 0; mask &= mask - 1)
        {
            var i = BitOperations.TrailingZeroCount(mask);
            MeasureSide(bankrupt, i, longs: true);
            MeasureSide(bankrupt, i, longs: false);
        }
        _payers.AsSpan(0, _payerCount).Sort();
    }

    private void MeasureSide(int bankrupt, int i, bool longs)
    {
        foreach (var a in _accounts.Holders(i, longs))
        {
            if (a == bankrupt) continue;
            var u = _margin.Upnl(a, i);
            if (u <= 0) continue;
            if (a >= _weight.Length) Array.Resize(ref _weight, Math.Max(_weight.Length * 2, a + 1));
            if (_weight[a] == 0)
            {
                if (_payerCount == _payers.Length) Array.Resize(ref _payers, _payers.Length * 2);
                _payers[_payerCount++] = a;
            }
            _weight[a] += u;
        }
    }

    /// <summary>Charges <paramref name="deficit"/> to the accounts of the last <see cref="Measure"/> (haircuts), the rest
    /// to the exchange, and forgets the weights.</summary>
    public void Charge(int bankrupt, long deficit)
    {
        Int128 total = 0;
        for (var i = 0; i < _payerCount; i++) total += _weight[_payers[i]];
        if (total >= deficit)
        {
            if (_remainders.Length < _payerCount) _remainders = new Remainder[Math.Max(_payerCount, _remainders.Length * 2)];
            long charged = 0;
            for (var i = 0; i < _payerCount; i++)
            {
                var a = _payers[i];
                var product = (Int128)deficit * _weight[a];
                var share = (long)(product / total);
                charged += share;
                _remainders[i] = new Remainder(product % total, a, share);
            }
            var leftover = deficit - charged;
            var ranked = _remainders.AsSpan(0, _payerCount);
            ranked.Sort();
            for (var i = 0; i < leftover; i++) ranked[i] = ranked[i] with { Share = ranked[i].Share + 1 };
            // Report in account order, as the reference model does.
            for (var i = 0; i < _payerCount; i++) _weight[ranked[i].AccountId] = ranked[i].Share;
            for (var i = 0; i < _payerCount; i++) Haircut(_payers[i], bankrupt, _weight[_payers[i]]);
        }
        else
        {
            for (var i = 0; i < _payerCount; i++) Haircut(_payers[i], bankrupt, _weight[_payers[i]]);
            var loss = deficit - (long)total;
            _ledgers.Exchange -= loss;
            _accounts.Balance(bankrupt) += loss;
            ref var e = ref _events.Add(EventType.ExchangeLoss);
            e.AccountId = bankrupt;
            e.Amount = loss;
        }
        Clear();
    }

    private void Haircut(int payer, int bankrupt, long amount)
    {
        if (amount == 0) return;
        _accounts.Balance(payer) -= amount;
        _accounts.Balance(bankrupt) += amount;
        _index.MarkDirty(payer);
        ref var e = ref _events.Add(EventType.Haircut);
        e.AccountId = payer;
        e.CounterpartyId = bankrupt;
        e.Amount = amount;
    }

    private void Clear()
    {
        for (var i = 0; i < _payerCount; i++) _weight[_payers[i]] = 0;
        _payerCount = 0;
    }

    private readonly record struct Remainder(Int128 Value, int AccountId, long Share) : IComparable<Remainder>
    {
        public int CompareTo(Remainder other)
        {
            var c = other.Value.CompareTo(Value);
            return c != 0 ? c : AccountId.CompareTo(other.AccountId);
        }
    }
}
