using Exchange.Core.Book;

namespace Exchange.Core.Tests.Book;

public class OrderIdIndexTests
{
    /// <summary>
    /// The index against a Dictionary over rising ids with long-lived old ones (the exchange's pattern, which makes
    /// new ids land on slots old orders still hold), ids that collide on purpose, and growth from a small table.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void AddRemoveTryGet_RandomRisingIds_AgreesWithDictionary(int seed)
    {
        var rng = new Random(seed);
        var index = new OrderIdIndex(4);
        var expected = new Dictionary<long, int>();
        var live = new List<long>();
        long next = 0;
        for (var step = 0; step < 50_000; step++)
        {
            var roll = rng.Next(10);
            if (roll < 4 || live.Count == 0)
            {
                // Mostly the next id; sometimes one a multiple of 64 away from a live id, so it shares its home slot.
                var id = roll == 0 && live.Count > 0 ? live[rng.Next(live.Count)] + 64 * rng.Next(1, 4) : ++next;
                if (expected.ContainsKey(id)) continue;
                next = Math.Max(next, id);
                index.Add(id, step);
                expected.Add(id, step);
                live.Add(id);
            }
            else if (roll < 8 && live.Count > 300)
            {
                // Remove mostly recent orders, so old ones live long.
                var at = rng.Next(2) == 0 ? live.Count - 1 - rng.Next(Math.Min(50, live.Count)) : rng.Next(live.Count);
                Assert.True(index.Remove(live[at]));
                expected.Remove(live[at]);
                live[at] = live[^1];
                live.RemoveAt(live.Count - 1);
            }
            else
            {
                var id = rng.Next(3) == 0 ? rng.NextInt64(0, next + 100) : live[rng.Next(live.Count)];
                Assert.Equal(expected.TryGetValue(id, out var want), index.TryGet(id, out var got));
                if (expected.ContainsKey(id)) Assert.Equal(want, got);
                if (!expected.ContainsKey(id)) Assert.False(index.Remove(id));
            }
            Assert.Equal(expected.Count, index.Count);
        }
        foreach (var (id, handle) in expected)
        {
            Assert.True(index.TryGet(id, out var got));
            Assert.Equal(handle, got);
        }
    }

    [Fact]
    public void Add_DuplicateOrNonPositiveId_Throws()
    {
        var index = new OrderIdIndex(4);
        index.Add(7, 1);
        Assert.Throws<ArgumentException>(() => index.Add(7, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Add(0, 2));
        Assert.False(index.TryGet(0, out _));
    }
}
