using Exchange.Core.Commands;

namespace Exchange.Core.Book;

/// <summary>The two sides of one instrument's book.</summary>
internal sealed class OrderBook
{
    public readonly BookSide Bids;
    public readonly BookSide Asks;

    public OrderBook(OrderStore orders, int levelCapacity)
    {
        Bids = new BookSide(orders, isBid: true, levelCapacity);
        Asks = new BookSide(orders, isBid: false, levelCapacity);
    }

    /// <summary>The side an order of <paramref name="side"/> rests on.</summary>
    public BookSide Own(Side side) => side == Side.Buy ? Bids : Asks;

    /// <summary>The side an order of <paramref name="side"/> trades against.</summary>
    public BookSide Opposite(Side side) => side == Side.Buy ? Asks : Bids;
}
