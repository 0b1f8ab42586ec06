using Exchange.Core.Liquidation;
using Entry = Exchange.Core.Liquidation.AdlQueue.HeapEntry;
using SideHeap = Exchange.Core.Liquidation.AdlQueue.SideHeap;

namespace Exchange.Core.Tests.Liquidation;

/// <summary>
/// The ADL side heap keeps only its <see cref="SideHeap.HotSize"/> best entries heapified after a build and the rest in
/// an unordered cold list, merged in when the pops reach past the threshold. Its pops must be exactly those of one heap
/// of every entry: checked here against a sorted list under random builds (sizes around and far past the hot size, many
/// ties broken by account id, sorted and reversed inputs), pushes between pops (as Catch re-pushes touched holders) and
/// runs that drain the side, so the cold merge happens at every depth.
/// </summary>
public sealed class AdlSideHeapTests
{
    private static Entry Make(Random r, int id, int distinct)
    {
        // Scores of both signs and of 256-bit width (the high half set for a few), few distinct values for ties.
        var v = r.Next(distinct) - distinct / 3;
        var score = r.Next(8) == 0
            ? new AdlScore(v < 0 ? Int128.NegativeOne : Int128.One, (UInt128)(long)v)
            : AdlScore.From(v);
        return new Entry { Score = score, AccountId = id, Version = (uint)r.Next(4) };
    }

    private static int Compare(Entry a, Entry b) => Entry.Compare(a, b);

    [Fact]
    public void Pops_AreThoseOfAFullSort_WithPushesBetweenThem_AtEveryDepth()
    {
        var r = new Random(16);
        var heap = new SideHeap();
        var merged = 0;
        for (var round = 0; round < 1_500; round++)
        {
            var n = round % 5 == 0 ? r.Next(0, 2 * SideHeap.HotSize) : r.Next(SideHeap.HotSize - 2, 700);
            var distinct = r.Next(2) == 0 ? 5 : 1_000_000;
            var ids = Enumerable.Range(1, 4 * n + 10).OrderBy(_ => r.Next()).ToArray();
            var built = new List<Entry>();
            for (var i = 0; i < n; i++) built.Add(Make(r, ids[i], distinct));
            if (round % 7 == 1) built.Sort(Compare);
            if (round % 7 == 2) { built.Sort(Compare); built.Reverse(); }
            heap.Reset(n, round, 0);
            foreach (var e in built)
            {
                heap.NextSlot() = e;
                heap.AddSlot();
            }
            heap.EndBuild();
            if (heap.ColdCount > 0) merged++;

            var expected = new List<Entry>(built);
            var next = n;
            // Drain it, pushing now and then (new ids: an account is in a side's heap once per version).
            while (expected.Count > 0)
            {
                if (r.Next(4) == 0)
                {
                    var pushed = Make(r, ids[next++], distinct);
                    heap.Push(pushed);
                    expected.Add(pushed);
                }
                var best = expected[0];
                foreach (var e in expected)
                    if (Compare(e, best) < 0) best = e;
                expected.Remove(best);
                Assert.Equal(expected.Count + 1, heap.Count);
                var popped = heap.Pop();
                Assert.True(popped.AccountId == best.AccountId && popped.Score == best.Score && popped.Version == best.Version,
                    $"round {round} ({n} built): popped {popped.AccountId}/{popped.Score}, want {best.AccountId}/{best.Score}");
                if (r.Next(50) == 0) break;
            }
        }
        // Builds past the hot size kept a cold list: the merge path ran.
        Assert.True(merged > 500, $"only {merged} builds had a cold list");
    }

    /// <summary>The build's inlined test (<c>RanksAfter</c>, on the scores' halves) is <c>Compare &gt;= 0</c>: on equal and
    /// adjacent halves, both signs of the high half, the low half's top bit, and equal scores with every id order.</summary>
    [Fact]
    public void RanksAfter_IsCompareAtLeastZero()
    {
        var r = new Random(61);
        Int128[] highs = [Int128.Zero, Int128.One, Int128.NegativeOne, Int128.MaxValue, Int128.MinValue, (Int128)long.MaxValue + 1];
        UInt128[] lows = [UInt128.Zero, UInt128.One, UInt128.MaxValue, (UInt128)ulong.MaxValue, (UInt128)ulong.MaxValue + 1, UInt128.One << 127, (UInt128.One << 127) - 1];
        var entries = new List<Entry>();
        foreach (var h in highs)
            foreach (var l in lows)
                for (var id = 1; id <= 3; id++)
                    entries.Add(new Entry { Score = new AdlScore(h, l), AccountId = id });
        for (var i = 0; i < 200; i++)
            entries.Add(new Entry
            {
                Score = new AdlScore(highs[r.Next(highs.Length)] + r.Next(-2, 3), lows[r.Next(lows.Length)] + (UInt128)(ulong)r.Next(0, 3)),
                AccountId = r.Next(1, 4),
            });
        foreach (var a in entries)
            foreach (var b in entries)
                Assert.True(Entry.RanksAfter(a, b) == Compare(a, b) >= 0, $"{a.Score}/{a.AccountId} against {b.Score}/{b.AccountId}");
    }
}
