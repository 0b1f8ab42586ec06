using Exchange.Core.Book;

namespace Exchange.Core.Tests.Book;

public class BookSideTests
{
    /// <summary>
    /// Move carries a lone order's level to its new place and shifts only the levels in between; it must leave the
    /// side exactly as Remove, a new price and quantity, and Add do: the same levels, totals and FIFO order.
    /// </summary>
    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 2)]
    [InlineData(true, 3)]
    [InlineData(false, 4)]
    public void Move_AnyOrderAnyPrice_SameBookAsRemoveThenAdd(bool isBid, int seed)
    {
        var rng = new Random(seed);
        const int capacity = 8; // small, so both sides grow through their level arrays
        var fastOrders = new OrderStore(capacity);
        var slowOrders = new OrderStore(capacity);
        var fast = new BookSide(fastOrders, isBid, capacity);
        var slow = new BookSide(slowOrders, isBid, capacity);
        var live = new List<int>();
        for (var step = 0; step < 20_000; step++)
        {
            var roll = rng.Next(10);
            if (live.Count < 5 || roll < 2)
            {
                var price = rng.Next(1, 60);
                var lots = rng.Next(1, 10);
                var h = fastOrders.Allocate();
                Assert.Equal(h, slowOrders.Allocate());
                Place(fastOrders, fast, h, price, lots);
                Place(slowOrders, slow, h, price, lots);
                live.Add(h);
            }
            else if (roll < 3)
            {
                var at = rng.Next(live.Count);
                var h = live[at];
                live.RemoveAt(at);
                fast.Remove(h);
                slow.Remove(h);
                fastOrders.Release(h);
                slowOrders.Release(h);
            }
            else
            {
                var h = live[rng.Next(live.Count)];
                // Mostly small steps (the load test's amends), sometimes the same price or a far one.
                var price = roll < 9 ? Math.Clamp(fastOrders[h].Price + rng.Next(-3, 4), 1, 60) : rng.Next(1, 60);
                var lots = rng.Next(1, 10);
                fast.Move(h, price, lots);
                slow.Remove(h);
                slowOrders[h].Price = price;
                slowOrders[h].Remaining = lots;
                slow.Add(h);
            }
            AssertSame(fast, fastOrders, slow, slowOrders);
        }
    }

    /// <summary>
    /// Every operation against a plain reference (a sorted map of price to FIFO of handles, with totals): the levels
    /// must be in price priority (bids descending, asks ascending from the best), each with its orders in time order
    /// and its total, after random adds, removes, fills and moves over dense and sparse prices, so a search that finds
    /// the wrong place fails here even though Move and Remove+Add would share it.
    /// </summary>
    [Theory]
    [InlineData(true, 11, 40)]
    [InlineData(false, 12, 40)]
    [InlineData(true, 13, 5_000)]
    [InlineData(false, 14, 5_000)]
    public void EveryOperation_MatchesASortedReference(bool isBid, int seed, int priceRange)
    {
        var rng = new Random(seed);
        var orders = new OrderStore(8);
        var side = new BookSide(orders, isBid, 4);
        var reference = new SortedDictionary<long, List<int>>();
        var live = new List<int>();
        for (var step = 0; step < 10_000; step++)
        {
            var roll = rng.Next(10);
            if (live.Count < 3 || (roll < 4 && live.Count < 300))
            {
                var price = 1 + rng.Next(priceRange);
                var h = orders.Allocate();
                Place(orders, side, h, price, rng.Next(1, 10));
                Level(reference, price).Add(h);
                live.Add(h);
            }
            else if (roll < 4)
            {
                var at = rng.Next(live.Count);
                var h = live[at];
                live.RemoveAt(at);
                Unlevel(reference, orders[h].Price, h);
                side.Remove(h);
                orders.Release(h);
            }
            else if (roll < 5)
            {
                var h = live[rng.Next(live.Count)];
                if (orders[h].Remaining > 1) side.Reduce(h, 1);
            }
            else
            {
                var h = live[rng.Next(live.Count)];
                var from = orders[h].Price;
                var price = roll switch
                {
                    < 8 => Math.Clamp(from + rng.Next(-4, 5), 1, priceRange),
                    8 => from,
                    _ => 1 + rng.Next(priceRange),
                };
                Unlevel(reference, from, h);
                side.Move(h, price, rng.Next(1, 10));
                Level(reference, price).Add(h);
            }
            Assert.Equal(reference.Count, side.LevelCount);
            var l = 0;
            foreach (var (price, queue) in isBid ? reference.Reverse() : reference)
            {
                Assert.Equal(price, side.LevelPrice(l));
                long total = 0;
                var h = side.LevelHead(l);
                foreach (var expected in queue)
                {
                    Assert.Equal(expected, h);
                    Assert.Equal(price, orders[h].Price);
                    total += orders[h].Remaining;
                    h = orders[h].Next;
                }
                Assert.Equal(-1, h);
                Assert.Equal(total, side.LevelTotal(l));
                l++;
            }
            if (side.LevelCount > 0)
            {
                Assert.Equal(side.LevelPrice(0), side.BestPrice);
                Assert.Equal(side.LevelHead(0), side.BestHandle);
            }
        }
    }

    private static List<int> Level(SortedDictionary<long, List<int>> reference, long price)
    {
        if (!reference.TryGetValue(price, out var queue)) reference[price] = queue = [];
        return queue;
    }

    private static void Unlevel(SortedDictionary<long, List<int>> reference, long price, int h)
    {
        var queue = reference[price];
        queue.Remove(h);
        if (queue.Count == 0) reference.Remove(price);
    }

    private static void Place(OrderStore orders, BookSide side, int h, long price, long lots)
    {
        ref var o = ref orders[h];
        o.Id = h + 1;
        o.Price = price;
        o.Remaining = lots;
        side.Add(h);
    }

    private static void AssertSame(BookSide fast, OrderStore fastOrders, BookSide slow, OrderStore slowOrders)
    {
        Assert.Equal(slow.LevelCount, fast.LevelCount);
        for (var l = 0; l < slow.LevelCount; l++)
        {
            Assert.Equal(slow.LevelPrice(l), fast.LevelPrice(l));
            Assert.Equal(slow.LevelTotal(l), fast.LevelTotal(l));
            int a = fast.LevelHead(l), b = slow.LevelHead(l);
            while (b >= 0)
            {
                Assert.Equal(b, a);
                Assert.Equal(slowOrders[b].Remaining, fastOrders[a].Remaining);
                Assert.Equal(slowOrders[b].Prev, fastOrders[a].Prev);
                (a, b) = (fastOrders[a].Next, slowOrders[b].Next);
            }
            Assert.Equal(-1, a);
        }
    }
}
