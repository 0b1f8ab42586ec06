using Exchange.Core.Commands;

namespace Exchange.Core.Book;

/// <summary>A resting order, stored in <see cref="OrderStore"/> and addressed by an <c>int</c> handle. It is threaded
/// on two intrusive doubly-linked lists: its price level's time queue and its account's open orders.</summary>
internal struct Order
{
    public long Id;
    public long ClientOrderId;
    public long Price;
    public long Remaining;
    public int AccountId;
    public int InstrumentId;
    public Side Side;
    public SelfTradePrevention Stp;
    public bool PostOnly;
    /// <summary>Neighbours in the price level's FIFO (handles, -1 = none).</summary>
    public int Prev, Next;
    /// <summary>Neighbours in the account's list of open orders, oldest first (handles, -1 = none).</summary>
    public int AccountPrev, AccountNext;
}
