using System.Numerics;
using System.Runtime.CompilerServices;
using Exchange.Core.Accounts;
using Exchange.Core.Book;
using Exchange.Core.Commands;
using Exchange.Core.Instruments;
using static Exchange.Core.Instruments.FixedPoint;

namespace Exchange.Core.Risk;

/// <summary>
/// Cross-margin arithmetic of RULEBOOK section 5: equity, maintenance and initial margin, order loss, and the
/// pre-trade and withdrawal checks. The hot paths (pre-trade check, account report, liquidation re-evaluation) read
/// the account's <see cref="MarginSums"/>, rebuilt here by one pass over its instruments when a mark has moved since
/// they were built; the other sums visit only the instruments an account is active in. Everything is computed in
/// <see cref="Int128"/>; requirements round up.
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

    /// <summary>upnl = q x m x tick_value - C. Inlined: the ADL queue and the socializer call it once per holder from
    /// methods jitted fully optimized on first use (rare paths never tier up), where a call would run unoptimized.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public long Upnl(int account, int instrument)
    {
        ref var p = ref _accounts.Position(account, instrument);
        if (p.Qty == 0) return -p.Cost;
        var ins = _instruments[instrument];
        return FixedPoint.Upnl(p.Qty, ins.Mark, ins.TickValue, p.Cost);
    }

    /// <summary>E = balance + sum of upnl (from the account's sums when they are current).</summary>
    public long Equity(int account)
    {
        ref var sums = ref _accounts.Sums(account);
        if (sums.Epoch == _instruments.MarkEpoch) return unchecked(_accounts.Balance(account) + sums.Upnl);
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
        ref var sums = ref _accounts.Sums(account);
        if (sums.Epoch == _instruments.MarkEpoch) return sums.Mm;
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
        ref var sums = ref Current(account);
        // The long casts of the Int128 E and E - IM - order loss: their low 64 bits, the wrapping 64-bit differences.
        equity = unchecked(_accounts.Balance(account) + sums.Upnl);
        maintenance = sums.Mm;
        initial = (long)sums.Im;
        free = unchecked(equity - initial - (long)sums.OrderLoss);
    }

    /// <summary>E and MM, from the account's sums (rebuilt first if a mark moved since they were built).</summary>
    public void Totals(int account, out long equity, out long maintenance)
    {
        ref var sums = ref Current(account);
        equity = unchecked(_accounts.Balance(account) + sums.Upnl);
        maintenance = sums.Mm;
    }

    /// <summary>
    /// IM with open orders at their worst case, plus order loss, with an optional extra order counted as resting
    /// (<paramref name="extraLots"/> &gt; 0) and one resting order excluded (<paramref name="excludeHandle"/> &gt;= 0).
    /// Returns E - order_loss - IM.
    /// </summary>
    public Int128 FreeMargin(int account, int extraInstrument, Side extraSide, long extraPrice, long extraLots, int excludeHandle)
    {
        // O(1) from the account's sums: only the instrument of the extra or excluded order is recomputed. Equal to
        // the pass over every active instrument and the walk over every order that the sums replace
        // (MarginSumsTests checks it against that pass with random books, marks and fills).
        ref var sums = ref Current(account);
        Int128 free = unchecked(_accounts.Balance(account) + sums.Upnl);
        free -= sums.Im + sums.OrderLoss;
        var exInstrument = -1;
        if (excludeHandle >= 0)
        {
            ref var ex = ref _orders[excludeHandle];
            exInstrument = ex.InstrumentId;
            long exBuy = 0, exSell = 0;
            if (ex.Side == Side.Buy) exBuy = ex.Remaining; else exSell = ex.Remaining;
            var ins = _instruments[exInstrument];
            free += OrderLoss(ex.Side, ex.Price, ex.Remaining, ins);
            if (extraLots > 0 && extraInstrument == exInstrument)
            {
                if (extraSide == Side.Buy) exBuy -= extraLots; else exSell -= extraLots;
            }
            free -= ImChange(account, ins, exBuy, exSell);
        }
        if (extraLots > 0)
        {
            var ins = _instruments[extraInstrument];
            if (extraInstrument != exInstrument)
                free -= extraSide == Side.Buy ? ImChange(account, ins, -extraLots, 0) : ImChange(account, ins, 0, -extraLots);
            free -= OrderLoss(extraSide, extraPrice, extraLots, ins);
        }
        return free;
    }

    /// <summary>How IM of one position changes when <paramref name="lessBuy"/> and <paramref name="lessSell"/> lots
    /// leave its resting sides (negative: arrive).</summary>
    private Int128 ImChange(int account, Instrument ins, long lessBuy, long lessSell)
    {
        ref var p = ref _accounts.Position(account, ins.Id);
        return (Int128)Initial(WorstLots(p.Qty, p.BuyLots - lessBuy, p.SellLots - lessSell), ins) - p.ImPart;
    }

    /// <summary>IM of one position with its resting orders at their worst case (0 when idle).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long PositionInitial(ref Position p, Instrument ins)
    {
        return p.IsIdle ? 0 : Initial(WorstLots(p.Qty, p.BuyLots, p.SellLots), ins);
    }

    /// <summary>IM of a worst case of <paramref name="lots"/> (&gt;= 0): ceil(lots x m x tick_value x imr / 1e6).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Initial(long lots, Instrument ins) =>
        // The same rounding: CeilPpm takes its 64-bit branch for a notional below 2^42, which SmallNotional forms without
        // the Int128 multiplications (FixedPointTests).
        SmallNotional(lots, ins.Mark, ins.TickValue, out var notional)
            ? CeilPpmSmall(notional, ins.Spec.ImrPpm)
            : CeilPpm((Int128)lots * ins.Mark * ins.TickValue, ins.Spec.ImrPpm);

    /// <summary>The account's sums, rebuilt first when a mark moved since they were built.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref MarginSums Current(int account)
    {
        ref var sums = ref _accounts.Sums(account);
        if (sums.Epoch != _instruments.MarkEpoch) Rebuild(account, ref sums);
        return ref sums;
    }

    /// <summary>
    /// Builds the sums from scratch at the current marks: every active position's terms, and the order loss by a walk
    /// over the account's orders unless no resting order can be on the losing side of its mark. An idle position's
    /// terms are always 0 (<see cref="AccountStore"/> zeroes them as it goes idle), so only the active ones are visited;
    /// an account active in one instrument (a socialization's payers, most traders) stores that position's terms as the
    /// sums without the 128-bit accumulation, whose locals the JIT kept on the stack (docs/benchmarks.md).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Rebuild(int account, ref MarginSums sums)
    {
        var active = _accounts.ActiveMask(account);
        bool walk;
        if ((active & (active - 1)) == 0)
        {
            long u = 0, m = 0, initial = 0;
            walk = active != 0 && Terms(account, BitOperations.TrailingZeroCount(active), out u, out m, out initial);
            sums.Upnl = u;
            sums.Im = initial;
            sums.Mm = m;
        }
        else
        {
            // From zero, each term is added as it is (what UpdateParts' difference against a zeroed term gives), summed
            // in locals and stored once.
            // upnl and MM modulo 2^64, as the sums keep them (MarginSums.Upnl); IM whole.
            long upnl = 0, mm = 0;
            Int128 im = 0;
            walk = false;
            for (var mask = active; mask != 0; mask &= mask - 1)
            {
                walk |= Terms(account, BitOperations.TrailingZeroCount(mask), out var u, out var m, out var initial);
                upnl = unchecked(upnl + u);
                mm = unchecked(mm + m);
                im += initial;
            }
            sums.Upnl = upnl;
            sums.Im = im;
            sums.Mm = mm;
        }
        sums.OrderLoss = walk ? WalkOrderLoss(account, -1) : 0;
        sums.Epoch = _instruments.MarkEpoch;
    }

    /// <summary>
    /// Computes and stores an active position's upnl, MM and IM terms at its mark; returns whether one of its resting
    /// orders may be on the losing side of the mark (the order loss needs the walk).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Terms(int account, int instrument, out long u, out long m, out long initial)
    {
        ref var p = ref _accounts.Position(account, instrument);
        var ins = _instruments[instrument];
        if (!PlainTerms(ref p, ins, out u, out m, out initial))
        {
            AccountStore.Parts(ref p, ins, out u, out m);
            initial = PositionInitial(ref p, ins);
            p.UpnlPart = u;
            p.MmPart = m;
            p.ImPart = initial;
        }
        return !p.NoOrderLoss(ins.Mark);
    }

    /// <summary>
    /// The terms of a position with no resting orders and a notional below 2^42 (most positions), computed and stored;
    /// false for any other position, whose terms the caller computes the general way. The worst case is the position
    /// itself, so IM's notional is MM's: the same terms as Parts and PositionInitial give, from one product.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool PlainTerms(ref Position p, Instrument ins, out long u, out long m, out long initial)
    {
        if (p.BuyLots != 0 || p.SellLots != 0 || !SmallNotional(p.Qty, ins.Mark, ins.TickValue, out var notional))
        {
            u = m = initial = 0;
            return false;
        }
        u = FixedPoint.Upnl(p.Qty, ins.Mark, ins.TickValue, p.Cost);
        m = CeilPpmSmall(notional, ins.Spec.MmrPpm);
        initial = CeilPpmSmall(notional, ins.Spec.ImrPpm);
        p.UpnlPart = u;
        p.MmPart = m;
        p.ImPart = initial;
        return true;
    }

    /// <summary>
    /// Makes the account's sums current (rebuilding them if a mark moved since they were built), so later reads of
    /// its E, MM or a position's <see cref="Position.UpnlPart"/> cost nothing: the socializer measures its payers
    /// this way, and their ADL scores, re-evaluation and reports then read the sums.
    /// An account holding one position and no orders (a socialization's payers) is rebuilt inline, without the call.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref MarginSums Refresh(int account)
    {
        ref var sums = ref _accounts.Sums(account);
        if (sums.Epoch != _instruments.MarkEpoch && !RebuildPlain(account, ref sums)) Rebuild(account, ref sums);
        return ref sums;
    }

    /// <summary>
    /// <see cref="Rebuild"/> of an account active in one instrument whose position has <see cref="PlainTerms"/>
    /// (its terms are the sums; no order, no order loss); false, having changed nothing, for any other account.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool RebuildPlain(int account, ref MarginSums sums)
    {
        var active = _accounts.ActiveMask(account);
        if (active == 0 || (active & (active - 1)) != 0) return false;
        var i = BitOperations.TrailingZeroCount(active);
        if (!PlainTerms(ref _accounts.Position(account, i), _instruments[i], out var u, out var m, out var initial)) return false;
        sums.Upnl = u;
        sums.Im = initial;
        sums.Mm = m;
        sums.OrderLoss = 0;
        sums.Epoch = _instruments.MarkEpoch;
        return true;
    }

    /// <summary>
    /// Null when the account's sums are stale or equal a rebuild from scratch, else what differs (the invariant
    /// checker's view of the cache; allocates).
    /// </summary>
    internal string? SumsMismatch(int account)
    {
        ref var sums = ref _accounts.Sums(account);
        if (sums.Epoch != _instruments.MarkEpoch) return null;
        var kept = sums;
        Span<long> parts = stackalloc long[3 * _instruments.Count];
        for (var i = 0; i < _instruments.Count; i++)
        {
            ref var p = ref _accounts.Position(account, i);
            parts[3 * i] = p.UpnlPart; parts[3 * i + 1] = p.ImPart; parts[3 * i + 2] = p.MmPart;
        }
        Rebuild(account, ref sums);
        string? found = null;
        if (kept.Upnl != sums.Upnl || kept.Im != sums.Im || kept.Mm != sums.Mm || kept.OrderLoss != sums.OrderLoss)
            found = $"account {account}: margin sums upnl/im/mm/loss {kept.Upnl}/{kept.Im}/{kept.Mm}/{kept.OrderLoss} != rebuilt {sums.Upnl}/{sums.Im}/{sums.Mm}/{sums.OrderLoss}";
        for (var i = 0; i < _instruments.Count && found is null; i++)
        {
            ref var p = ref _accounts.Position(account, i);
            if (parts[3 * i] != p.UpnlPart || parts[3 * i + 1] != p.ImPart || parts[3 * i + 2] != p.MmPart)
                found = $"account {account} instrument {i}: margin terms {parts[3 * i]}/{parts[3 * i + 1]}/{parts[3 * i + 2]} != rebuilt {p.UpnlPart}/{p.ImPart}/{p.MmPart}";
            else if (p.IsIdle && (p.UpnlPart | p.ImPart | p.MmPart) != 0)
                found = $"account {account} instrument {i}: idle position with terms {p.UpnlPart}/{p.ImPart}/{p.MmPart}";
        }
        return found;
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
        return diff <= 0 ? 0 : Product(diff, lots, ins.TickValue);
    }
}
