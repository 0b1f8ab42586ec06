using System.Numerics;
using Exchange.Core.Accounts;
using Exchange.Core.Book;
using Exchange.Core.Commands;
using Exchange.Core.Instruments;
using static Exchange.Core.Instruments.FixedPoint;

namespace Exchange.Core.Risk;

/// <summary>
/// Cross-margin arithmetic of RULEBOOK section 5: equity, maintenance and initial margin, order loss, and the
/// pre-trade and withdrawal checks. Sums visit only the instruments an account is active in. Everything is computed
/// in <see cref="Int128"/>; requirements round up.
/// </summary>
internal sealed class MarginCalculator
{
    private readonly AccountStore _accounts;
    private readonly InstrumentTable _instruments;
    private readonly OrderStore _orders;

    public MarginCalculator(AccountStore accounts, InstrumentTable instruments, OrderStore orders)
    {
        _accounts = accounts;
        _instruments = instruments;
        _orders = orders;
    }

    /// <summary>upnl = q x m x tick_value - C.</summary>
    public long Upnl(int account, int instrument)
    {
        ref var p = ref _accounts.Position(account, instrument);
        if (p.Qty == 0) return -p.Cost;
        var ins = _instruments[instrument];
        return (long)((Int128)p.Qty * ins.Mark * ins.TickValue - p.Cost);
    }

    /// <summary>E = balance + sum of upnl.</summary>
    public long Equity(int account)
    {
        Int128 e = _accounts.Balance(account);
        for (var mask = _accounts.HeldMask(account); mask != 0; mask &= mask - 1)
            e += Upnl(account, BitOperations.TrailingZeroCount(mask));
        return (long)e;
    }

    /// <summary>MM of one position: ceil(|q| x m x tick_value x mmr / 1e6).</summary>
    public long PositionMaintenance(int account, int instrument)
    {
        ref var p = ref _accounts.Position(account, instrument);
        if (p.Qty == 0) return 0;
        var ins = _instruments[instrument];
        return CeilPpm((Int128)Math.Abs(p.Qty) * ins.Mark * ins.TickValue, ins.Spec.MmrPpm);
    }

    public long Maintenance(int account)
    {
        long mm = 0;
        for (var mask = _accounts.HeldMask(account); mask != 0; mask &= mask - 1)
            mm += PositionMaintenance(account, BitOperations.TrailingZeroCount(mask));
        return mm;
    }

    /// <summary>
    /// Holds a position and E &lt; MM (RULEBOOK section 7), or is flat with a negative balance: a risk-reducing fill far
    /// from the mark or an ADL at the bankruptcy price can leave one, and only the waterfall's step 4 can settle it
    /// (docs/rulebook-notes.md).
    /// </summary>
    public bool IsLiquidatable(int account) =>
        _accounts.HasPosition(account) ? Equity(account) < Maintenance(account) : _accounts.Balance(account) < 0;

    /// <summary>Worst-case exposure max(|q + B|, |q - S|) of one instrument.</summary>
    public static long WorstLots(long q, long buyLots, long sellLots) => Math.Max(Math.Abs(q + buyLots), Math.Abs(q - sellLots));

    /// <summary>
    /// What an account report says: E, IM (open orders at their worst case), MM, and E - order loss - IM (what
    /// <see cref="FreeMargin"/> gives with no order added or excluded).
    /// </summary>
    public void State(int account, out long equity, out long initial, out long maintenance, out long free)
    {
        // One pass over the active instruments (a superset of the held ones), while the account's positions are in cache.
        Int128 e = _accounts.Balance(account), im = 0;
        long mm = 0;
        var held = _accounts.HeldMask(account);
        var active = _accounts.ActiveMask(account);
        var walk = false;
        for (var mask = active | held; mask != 0; mask &= mask - 1)
        {
            var i = BitOperations.TrailingZeroCount(mask);
            ref var p = ref _accounts.Position(account, i);
            var ins = _instruments[i];
            if ((held & (1UL << i)) != 0)
            {
                e += Upnl(account, i);
                mm += PositionMaintenance(account, i);
            }
            if ((active & (1UL << i)) == 0) continue;
            walk |= !p.NoOrderLoss(ins.Mark);
            im += CeilPpm((Int128)WorstLots(p.Qty, p.BuyLots, p.SellLots) * ins.Mark * ins.TickValue, ins.Spec.ImrPpm);
        }
        equity = (long)e;
        maintenance = mm;
        initial = (long)im;
        free = (long)(e - im - (walk ? WalkOrderLoss(account, -1) : 0));
    }

    /// <summary>
    /// IM with open orders at their worst case, plus order loss, with an optional extra order counted as resting
    /// (<paramref name="extraLots"/> &gt; 0) and one resting order excluded (<paramref name="excludeHandle"/> &gt;= 0).
    /// Returns E - order_loss - IM.
    /// </summary>
    public Int128 FreeMargin(int account, int extraInstrument, Side extraSide, long extraPrice, long extraLots, int excludeHandle)
    {
        Int128 free = Equity(account);
        var mask = _accounts.ActiveMask(account);
        if (extraLots > 0) mask |= 1UL << extraInstrument;
        var exInstrument = -1;
        long exBuy = 0, exSell = 0;
        if (excludeHandle >= 0)
        {
            ref var ex = ref _orders[excludeHandle];
            exInstrument = ex.InstrumentId;
            if (ex.Side == Side.Buy) exBuy = ex.Remaining; else exSell = ex.Remaining;
        }
        // Order loss needs the walk over the account's orders only if some resting order may be on the losing side of
        // its mark; a market maker's book seldom is, and the walk is O(open orders) (measured: 40% of the gateway's
        // pipeline thread with 256 orders per account, docs/benchmarks.md).
        var walk = false;
        for (; mask != 0; mask &= mask - 1)
        {
            var i = BitOperations.TrailingZeroCount(mask);
            ref var p = ref _accounts.Position(account, i);
            walk |= !p.NoOrderLoss(_instruments[i].Mark);
            long b = p.BuyLots, s = p.SellLots;
            if (i == exInstrument) { b -= exBuy; s -= exSell; }
            if (extraLots > 0 && i == extraInstrument)
            {
                if (extraSide == Side.Buy) b += extraLots; else s += extraLots;
            }
            var ins = _instruments[i];
            free -= CeilPpm((Int128)WorstLots(p.Qty, b, s) * ins.Mark * ins.TickValue, ins.Spec.ImrPpm);
        }
        if (walk) free -= WalkOrderLoss(account, excludeHandle);
        if (extraLots > 0) free -= OrderLoss(extraSide, extraPrice, extraLots, _instruments[extraInstrument]);
        return free;
    }

    /// <summary>
    /// The order loss of all the account's resting orders but <paramref name="excludeHandle"/>, tightening each
    /// position's price bounds to the orders seen (the excluded one included: it still rests).
    /// </summary>
    private Int128 WalkOrderLoss(int account, int excludeHandle)
    {
        Span<long> ceiling = stackalloc long[_instruments.Count];
        Span<long> floor = stackalloc long[_instruments.Count];
        ceiling.Fill(long.MinValue);
        floor.Fill(long.MaxValue);
        Int128 loss = 0;
        for (var h = _accounts.OrderHead(account); h >= 0; h = _orders[h].AccountNext)
        {
            ref var o = ref _orders[h];
            if (o.Side == Side.Buy) ceiling[o.InstrumentId] = Math.Max(ceiling[o.InstrumentId], o.Price);
            else floor[o.InstrumentId] = Math.Min(floor[o.InstrumentId], o.Price);
            if (h != excludeHandle) loss += OrderLoss(o.Side, o.Price, o.Remaining, _instruments[o.InstrumentId]);
        }
        for (var mask = _accounts.ActiveMask(account); mask != 0; mask &= mask - 1)
        {
            var i = BitOperations.TrailingZeroCount(mask);
            ref var p = ref _accounts.Position(account, i);
            if (p.BuyLots > 0) p.BuyCeiling = ceiling[i];
            if (p.SellLots > 0) p.SellFloor = floor[i];
        }
        return loss;
    }

    /// <summary>The immediate loss if an order filled at its price against the mark (never negative).</summary>
    public static Int128 OrderLoss(Side side, long price, long lots, Instrument ins)
    {
        var diff = side == Side.Buy ? price - ins.Mark : ins.Mark - price;
        return diff <= 0 ? 0 : (Int128)diff * lots * ins.TickValue;
    }
}
