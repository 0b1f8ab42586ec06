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
    [InlineData(true, 5, 64)]
    [InlineData(false, 6, 64)]
    public void Move_AnyOrderAnyPrice_SameBookAsRemoveThenAdd(bool isBid, int seed, int fastWindow = BookSide.DefaultWindow)
    {
        var rng = new Random(seed);
        const int capacity = 8; // small, so both sides grow through their level arrays
        var fastOrders = new OrderStore(capacity);
        var slowOrders = new OrderStore(capacity);
        // A narrow window on one side only: levels in and out of it must give the same book as the default's.
        var fast = new BookSide(fastOrders, isBid, capacity, fastWindow);
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
    /// <remarks>
    /// The price ladder is a window of ticks with a sorted array for the levels outside it: the cases with a window
    /// narrower than the prices (64 or 128 ticks), and those whose prices drift by thousands of ticks over the run,
    /// put levels outside it on both sides, move orders out of it and back, empty it and make the side place it again;
    /// each such case checks that levels were both inside and outside at some point.
    /// </remarks>
    [Theory]
    [InlineData(true, 11, 40, BookSide.DefaultWindow, 0)]
    [InlineData(false, 12, 40, BookSide.DefaultWindow, 0)]
    [InlineData(true, 13, 5_000, BookSide.DefaultWindow, 0)]
    [InlineData(false, 14, 5_000, BookSide.DefaultWindow, 0)]
    [InlineData(true, 15, 300, 64, 0)]
    [InlineData(false, 16, 300, 64, 0)]
    [InlineData(true, 17, 200, 128, 3_000)]
    [InlineData(false, 18, 200, 128, 3_000)]
    [InlineData(true, 19, 2_000, BookSide.DefaultWindow, 40_000)]
    [InlineData(false, 20, 2_000, BookSide.DefaultWindow, 40_000)]
    public void EveryOperation_MatchesASortedReference(bool isBid, int seed, int priceRange, int window, int drift)
    {
        var rng = new Random(seed);
        var orders = new OrderStore(8);
        var side = new BookSide(orders, isBid, 4, window);
        var reference = new SortedDictionary<long, List<int>>();
        var live = new List<int>();
        var sawOutside = false;
        var sawInside = false;
        for (var step = 0; step < 10_000; step++)
        {
            // The prices' low end walks up by drift ticks and back down, twice over the run.
            var phase = step % 5_000;
            var low = 1 + (long)drift * (phase < 2_500 ? phase : 5_000 - phase) / 2_500;
            var roll = rng.Next(10);
            if (live.Count < 3 || (roll < 4 && live.Count < 300))
            {
                var price = low + rng.Next(priceRange);
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
                    < 8 => Math.Max(1, from + rng.Next(-4, 5)),
                    8 => from,
                    _ => low + rng.Next(priceRange),
                };
                Unlevel(reference, from, h);
                side.Move(h, price, rng.Next(1, 10));
                Level(reference, price).Add(h);
            }
            Assert.Equal(reference.Count, side.LevelCount);
            sawOutside |= side.OutsideLevels > 0;
            sawInside |= side.OutsideLevels < side.LevelCount;
            var l = side.FirstLevel();
            foreach (var (price, queue) in isBid ? reference.Reverse() : reference)
            {
                Assert.NotEqual(-1, l);
                Assert.Equal(price, side.PriceAt(l));
                long total = 0;
                var h = side.HeadAt(l);
                foreach (var expected in queue)
                {
                    Assert.Equal(expected, h);
                    Assert.Equal(price, orders[h].Price);
                    total += orders[h].Remaining;
                    h = orders[h].Next;
                }
                Assert.Equal(-1, h);
                Assert.Equal(total, side.TotalAt(l));
                l = side.NextLevel(l);
            }
            Assert.Equal(-1, l);
            if (side.LevelCount > 0)
            {
                Assert.Equal(side.PriceAt(side.FirstLevel()), side.BestPrice);
                Assert.Equal(side.HeadAt(side.FirstLevel()), side.BestHandle);
                Assert.Equal(side.LevelPrice(0), side.BestPrice);
            }
        }
        Assert.True(sawInside, "no level was ever in the window");
        if (window < priceRange || drift > window) Assert.True(sawOutside, "no level was ever outside the window");
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
        for (int f = fast.FirstLevel(), s = slow.FirstLevel(); s != -1; f = fast.NextLevel(f), s = slow.NextLevel(s))
        {
            Assert.NotEqual(-1, f);
            Assert.Equal(slow.PriceAt(s), fast.PriceAt(f));
            Assert.Equal(slow.TotalAt(s), fast.TotalAt(f));
            int a = fast.HeadAt(f), b = slow.HeadAt(s);
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
