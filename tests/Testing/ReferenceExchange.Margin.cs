using System.Numerics;
using Exchange.Core.Commands;
using static Exchange.Testing.Exact;

namespace Exchange.Testing;

public sealed partial class ReferenceExchange
{
    /// <summary>q m tv: the signed value of a position at the mark.</summary>
    private BigInteger MarkValue(int instrument, BigInteger qty)
    {
        var ins = _instruments[instrument];
        return qty * ins.Mark * ins.Spec.TickValue;
    }

    /// <summary>upnl = q m tv - C.</summary>
    public BigInteger Upnl(int account, int instrument)
    {
        var p = _accounts[account].Position(instrument);
        return MarkValue(instrument, p.Qty) - p.Cost;
    }

    /// <summary>E = balance + sum of upnl over every instrument.</summary>
    public BigInteger Equity(int account)
    {
        var e = _accounts[account].Balance;
        for (var i = 0; i < _instruments.Count; i++) e += Upnl(account, i);
        return e;
    }

    /// <summary>MM of one position: ceil(|q| m tv mmr / 1e6).</summary>
    public BigInteger PositionMaintenance(int account, int instrument)
    {
        var q = _accounts[account].Position(instrument).Qty;
        return Ceil(BigInteger.Abs(MarkValue(instrument, q)) * _instruments[instrument].Spec.MmrPpm, Million);
    }

    public BigInteger Maintenance(int account)
    {
        BigInteger mm = 0;
        for (var i = 0; i < _instruments.Count; i++) mm += PositionMaintenance(account, i);
        return mm;
    }

    public bool HoldsPosition(int account) => !_accounts[account].IsFlat;

    /// <summary>Holds a position and E &lt; MM.</summary>
    /// <summary>E &lt; MM with a position; or flat with a negative balance (docs/rulebook-notes.md).</summary>
    public bool IsLiquidatable(int account) =>
        HoldsPosition(account) ? Equity(account) < Maintenance(account) : Balance(account) < 0;

    /// <summary>Open buy and sell lots of an account in an instrument, with one order excluded and one added.</summary>
    private (BigInteger Buy, BigInteger Sell) OrderLots(int account, int instrument, RefOrder? exclude, ExtraOrder? extra)
    {
        BigInteger b = 0, s = 0;
        foreach (var o in _orders)
        {
            if (o.AccountId != account || o.InstrumentId != instrument || ReferenceEquals(o, exclude)) continue;
            if (o.Side == Side.Buy) b += o.Remaining; else s += o.Remaining;
        }
        if (extra is { } x && x.InstrumentId == instrument)
        {
            if (x.Side == Side.Buy) b += x.Lots; else s += x.Lots;
        }
        return (b, s);
    }

    /// <summary>max(|q + B|, |q - S|): the position if every open order on one side filled.</summary>
    private BigInteger WorstLots(int account, int instrument, RefOrder? exclude, ExtraOrder? extra)
    {
        var q = _accounts[account].Position(instrument).Qty;
        var (b, s) = OrderLots(account, instrument, exclude, extra);
        return Max(BigInteger.Abs(q + b), BigInteger.Abs(q - s));
    }

    /// <summary>IM = sum ceil(worst lots x m x tv x imr / 1e6).</summary>
    private BigInteger InitialMargin(int account, RefOrder? exclude, ExtraOrder? extra)
    {
        BigInteger im = 0;
        for (var i = 0; i < _instruments.Count; i++)
            im += Ceil(MarkValue(i, WorstLots(account, i, exclude, extra)) * _instruments[i].Spec.ImrPpm, Million);
        return im;
    }

    /// <summary>The immediate loss of one order filled at its price against the mark, never negative.</summary>
    private BigInteger LossOf(int instrument, Side side, long price, long lots)
    {
        var ins = _instruments[instrument];
        BigInteger diff = side == Side.Buy ? price - ins.Mark : ins.Mark - price;
        return diff <= 0 ? 0 : diff * lots * ins.Spec.TickValue;
    }

    private BigInteger OrderLoss(int account, RefOrder? exclude, ExtraOrder? extra)
    {
        BigInteger loss = 0;
        foreach (var o in _orders)
            if (o.AccountId == account && !ReferenceEquals(o, exclude)) loss += LossOf(o.InstrumentId, o.Side, o.Price, o.Remaining);
        if (extra is { } x) loss += LossOf(x.InstrumentId, x.Side, x.Price, x.Lots);
        return loss;
    }

    /// <summary>E - order_loss - IM, with an optional order excluded and another counted as resting in full.</summary>
    public BigInteger FreeMargin(int account, RefOrder? exclude = null, ExtraOrder? extra = null) =>
        Equity(account) - OrderLoss(account, exclude, extra) - InitialMargin(account, exclude, extra);
}
