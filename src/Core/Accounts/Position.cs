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
    /// <summary>1 + index of this position's entry in the liquidation index's watch heap; 0 when not watched.</summary>
    public int WatchSlot;
    /// <summary>±(1 + index) of the account in the instrument's long (+) or short (-) holder list; 0 when flat.</summary>
    public int HolderSlot;

    public readonly bool IsIdle => Qty == 0 && BuyLots == 0 && SellLots == 0;

    /// <summary>Adds (or with a negative count removes) resting order lots on one side.</summary>
    public void AddOrderLots(Commands.Side side, long lots)
    {
        if (side == Commands.Side.Buy) BuyLots += lots; else SellLots += lots;
    }
}
