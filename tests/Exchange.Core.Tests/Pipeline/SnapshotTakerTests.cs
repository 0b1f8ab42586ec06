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

    /// <summary>An input ring with nothing claimed: at the end of a batch the business-logic thread is idle.</summary>
    private static readonly RingBuffer<CommandSlot> Idle = RingBuffer<CommandSlot>.CreateSingleProducer(16, new YieldingWaitStrategy());

    [Fact]
    public void PeriodicSnapshots_ReuseOneBuffer_AndEachFileIsTheCanonicalState()
    {
        var m = Populated();
        var store = new SnapshotStore(_directory.Path);
        var taker = new SnapshotTaker(store, every: 1, journaled: null, new PipelineAbort(), journal: null);

        // The first snapshot grows the buffer to the state's size.
        m.Deposit(1, 1);
        taker.OnApplied(m.X, m.X.LastSequence);
        taker.OnBatchEnd(m.X, Idle, Idle.Cursor);
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
            taker.OnBatchEnd(m.X, Idle, Idle.Cursor);
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
    public void ADeferredCapture_CopiedOverTheFollowingCommands_IsTheStateAtItsSequence()
    {
        // More accounts than a command copies after it, so the capture's positions are copied over several commands.
        const int accounts = 5_000;
        var m = Journal.SnapshotImageTests.Populated(accounts);
        var store = new SnapshotStore(_directory.Path);
        var taker = new SnapshotTaker(store, every: 1, journaled: null, new PipelineAbort(), journal: null);
        m.Deposit(1, 1);
        var expected = SnapshotCodec.Write(m.X);
        var sequence = m.X.LastSequence;
        taker.OnApplied(m.X, sequence);

        // Each command is due, and skipped while the capture is being copied; fills write positions all over.
        m.Deposit(accounts + 1, 1_000_000);
        taker.OnApplied(m.X, m.X.LastSequence);
        m.Buy(accounts + 1, 121_499, accounts / 3, TimeInForce.Ioc);
        taker.OnApplied(m.X, m.X.LastSequence);
        m.Sell(accounts + 1, 118_500, accounts / 3, TimeInForce.Ioc);
        taker.OnApplied(m.X, m.X.LastSequence);
        Assert.Empty(store.List());
        m.Buy(5, 121_499, 20, TimeInForce.Ioc);
        taker.OnApplied(m.X, m.X.LastSequence);
        // A command already claimed in the input: the end of the batch leaves the copy to the commands.
        var input = RingBuffer<CommandSlot>.CreateSingleProducer(16, new YieldingWaitStrategy());
        var handled = input.Cursor;
        input.Publish(input.Next());
        taker.OnBatchEnd(m.X, input, handled);
        Assert.True(taker.Copying);
        Assert.Empty(store.List());
        // Idle: it copies the rest, slice by slice, and hands the image to the writer.
        taker.OnBatchEnd(m.X, input, input.Cursor);
        Assert.False(taker.Copying);

        Assert.True(taker.Finish(TimeSpan.FromSeconds(10)));
        Assert.Null(taker.Fault);
        Assert.Equal(4, taker.Skipped);
        var newest = Assert.Single(store.List());
        Assert.Equal(sequence, newest.Sequence);
        Assert.Equal(expected, File.ReadAllBytes(newest.Path));
        m.AssertInvariants();
    }

    [Fact]
    public void TheFinalSnapshot_WithACaptureStillBeingCopied_WritesThatOneFirst()
    {
        const int accounts = 3_000;
        var m = Journal.SnapshotImageTests.Populated(accounts);
        var store = new SnapshotStore(_directory.Path);
        var taker = new SnapshotTaker(store, every: 1, journaled: null, new PipelineAbort(), journal: null);
        m.Deposit(1, 1);
        var captured = SnapshotCodec.Write(m.X);
        var sequence = m.X.LastSequence;
        taker.OnApplied(m.X, sequence);
        Journal.SnapshotImageTests.Mutate(m, accounts);
        Assert.True(taker.Copying);

        // The threads stopped before an idle end of batch: the capture is finished and written on this thread, then
        // the final state, so the newest is the final one when TakeFinal returns.
        taker.TakeFinal(m.X);
        var files = store.List();
        Assert.Equal(2, files.Length);
        Assert.Equal(m.X.LastSequence, files[0].Sequence);
        Assert.Equal(SnapshotCodec.Write(m.X), File.ReadAllBytes(files[0].Path));
        Assert.Equal(sequence, files[1].Sequence);
        Assert.Equal(captured, File.ReadAllBytes(files[1].Path));
        Assert.Equal(m.X.LastSequence, taker.LastSequence);
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
