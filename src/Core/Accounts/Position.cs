namespace Exchange.Core.Accounts;

/// <summary>An account's stake in one instrument: signed lots, signed cost basis, and its resting order lots.</summary>
internal struct Position
{
    /// <summary>Signed lots: long &gt; 0.</summary>
    public long Qty;
    /// <summary>Signed quote paid to open what is still open (RULEBOOK section 3).</summary>
    public long Cost;
    /// <summary>Lots of the account's resting buy and sell orders in this instrument (B and S of section 5).</summary>
    public long BuyLots, SellLots;
    /// <summary>
    /// Bounds on the prices of the resting orders, meaningful while the side has lots: no buy is above
    /// <see cref="BuyCeiling"/> and no sell below <see cref="SellFloor"/>. Raised (or lowered) as orders rest, left
    /// alone as they leave, so they stay true but may go stale; MarginCalculator tightens them when it walks the
    /// orders. They let the order-loss sum skip the walk when no order can be on the losing side of the mark.
    /// Derived state: not in snapshots or the state hash (rebuilt as the snapshot's orders rest again).
    /// </summary>
    public long BuyCeiling, SellFloor;
    /// <summary>1 + index of this position's entry in the liquidation index's watch heap; 0 when not watched.</summary>
    public int WatchSlot;
    /// <summary>±(1 + index) of the account in the instrument's long (+) or short (-) holder list; 0 when flat.</summary>
    public int HolderSlot;
    /// <summary>
    /// This position's terms in its account's cached margin sums (<see cref="MarginSums"/>): upnl (0 when flat), IM of
    /// the worst case with its resting orders, MM. Meaningful only while the account's sums are current. Derived state:
    /// not in snapshots or the state hash.
    /// </summary>
    public long UpnlPart, ImPart, MmPart;

    public readonly bool IsIdle => Qty == 0 && BuyLots == 0 && SellLots == 0;

    /// <summary>An order of <paramref name="lots"/> at <paramref name="price"/> rests: its lots count and the bounds cover it.</summary>
    public void AddRestingOrder(Commands.Side side, long price, long lots)
    {
        if (side == Commands.Side.Buy)
        {
            BuyCeiling = BuyLots == 0 ? price : Math.Max(BuyCeiling, price);
            BuyLots += lots;
        }
        else
        {
            SellFloor = SellLots == 0 ? price : Math.Min(SellFloor, price);
            SellLots += lots;
        }
    }

    /// <summary>Whether no resting order of this position can lose against <paramref name="mark"/> (order loss 0).</summary>
    public readonly bool NoOrderLoss(long mark) => (BuyLots == 0 || BuyCeiling <= mark) && (SellLots == 0 || SellFloor >= mark);

    /// <summary>
    /// Resting order lots leave one side (a fill, a cancel, a shrink). Lots only ever arrive through
    /// <see cref="AddRestingOrder"/>, which keeps the price bounds true.
    /// </summary>
    public void RemoveOrderLots(Commands.Side side, long lots)
    {
        if (side == Commands.Side.Buy) BuyLots -= lots; else SellLots -= lots;
    }
}
