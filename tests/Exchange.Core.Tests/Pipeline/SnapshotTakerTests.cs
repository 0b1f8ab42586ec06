using Exchange.Core.Commands;
using Exchange.Core.Journal;
using Exchange.Core.Pipeline;
using Exchange.Core.Tests.Journal;
using Exchange.Core.Tests.Support;

namespace Exchange.Core.Tests.Pipeline;

public sealed class SnapshotTakerTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>2,000 funded accounts with a resting order each: a snapshot of about 150 KB, a large object.</summary>
    private static Market Populated()
    {
        var m = new Market(options: new ExchangeOptions { AccountCapacity = 4_096 });
        m.Mark(120_000);
        for (var a = 1; a <= 2_000; a++)
        {
            m.Deposit(a, 10_000);
            if (a % 2 == 0) m.Buy(a, 119_000 - a % 500, 1);
            else m.Sell(a, 121_000 + a % 500, 1);
        }
        return m;
    }

    [Fact]
    public void PeriodicSnapshots_ReuseOneBuffer_AndEachFileIsTheCanonicalState()
    {
        var m = Populated();
        var store = new SnapshotStore(_directory.Path);
        var taker = new SnapshotTaker(store, every: 1, journaled: null, new PipelineAbort(), journal: null);

        // The first snapshot grows the buffer to the state's size.
        m.Deposit(1, 1);
        taker.OnApplied(m.X, m.X.LastSequence);
        Assert.True(taker.Finish(TimeSpan.FromSeconds(10)));
        var capacity = taker.BufferCapacity;
        var size = SnapshotCodec.Write(m.X).Length;
        Assert.True(size > 100_000, $"the state should be a large object, is {size} B");

        var fewest = long.MaxValue;
        for (var round = 0; round < 4; round++)
        {
            m.Deposit(2 + round, 1);
            var before = GC.GetAllocatedBytesForCurrentThread();
            taker.OnApplied(m.X, m.X.LastSequence);
            // The fewest of the rounds, as Allocations.Fewest takes it: a one-off of the runtime (a method re-jitted) is
            // not the snapshot's.
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.True(taker.Finish(TimeSpan.FromSeconds(10)));
            Assert.Null(taker.Fault);
            Assert.Equal(capacity, taker.BufferCapacity);
            var newest = store.List()[0];
            Assert.Equal(m.X.LastSequence, newest.Sequence);
            Assert.Equal(SnapshotCodec.Write(m.X), File.ReadAllBytes(newest.Path));
        }
        // A BinaryWriter, the task and its closure: small objects, never a buffer the size of the state.
        Assert.True(fewest < 4_096, $"a snapshot allocated {fewest} B on the business-logic thread (state {size} B)");
        m.AssertInvariants();
    }

    [Fact]
    public void ReusedBuffer_AfterALargerState_HoldsExactlyTheSmallerOne()
    {
        var large = Populated();
        var small = new Market();
        small.Deposit(1, 100);
        var buffer = new SnapshotBuffer();
        SnapshotCodec.Write(large.X, buffer);
        SnapshotCodec.Write(small.X, buffer);
        Assert.Equal(SnapshotCodec.Write(small.X), buffer.Written.ToArray());
        var restored = new Exchange();
        restored.AddInstrument(Market.Spec());
        SnapshotCodec.Read(buffer.Written, restored);
        Assert.Equal(small.X.StateHash(), restored.StateHash());
        small.AssertInvariants();
        large.AssertInvariants();
    }
}
