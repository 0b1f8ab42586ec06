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
