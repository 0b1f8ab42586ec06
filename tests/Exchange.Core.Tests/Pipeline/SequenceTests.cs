using System.Runtime.CompilerServices;
using Exchange.Core.Pipeline;

namespace Exchange.Core.Tests.Pipeline;

public sealed class SequenceTests
{
    [Fact]
    public void Constructor_NoValue_StartsAtInitialValue() =>
        Assert.Equal(-1, new Sequence().Value);

    [Fact]
    public void SetValue_ThenValue_ReturnsIt()
    {
        var sequence = new Sequence();
        sequence.SetValue(42);
        Assert.Equal(42, sequence.Value);
        sequence.SetValueVolatile(43);
        Assert.Equal(43, sequence.Value);
    }

    [Fact]
    public void CompareAndSet_ExpectedMatches_SwapsAndReturnsTrue()
    {
        var sequence = new Sequence(5);
        Assert.True(sequence.CompareAndSet(5, 9));
        Assert.Equal(9, sequence.Value);
    }

    [Fact]
    public void CompareAndSet_ExpectedDiffers_KeepsValueAndReturnsFalse()
    {
        var sequence = new Sequence(5);
        Assert.False(sequence.CompareAndSet(4, 9));
        Assert.Equal(5, sequence.Value);
    }

    [Fact]
    public void IncrementAndAdd_FromValue_ReturnNewValue()
    {
        var sequence = new Sequence(0);
        Assert.Equal(1, sequence.IncrementAndGet());
        Assert.Equal(11, sequence.AddAndGet(10));
    }

    [Fact]
    public void Layout_Value_HasFiftySixBytesOfPaddingEachSide()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var sequence = new Sequence();
        long objectBytes = GC.GetAllocatedBytesForCurrentThread() - before;
        sequence.SetValue(0x1122_3344_5566_7788);

        // The managed layout, not the marshalled one: the value is 56 bytes into the fields, and the fields
        // (after the 16-byte object header) span 56 + 8 + 56 bytes.
        ref byte fields = ref Unsafe.As<RawObject>(sequence).FirstByte;
        Assert.Equal(0x1122_3344_5566_7788, Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref fields, 56)));
        Assert.True(objectBytes >= 16 + 56 + 8 + 56, $"a Sequence takes {objectBytes} bytes");
    }

    [Fact]
    public void IncrementAndGet_ManyThreads_LosesNoIncrement()
    {
        var sequence = new Sequence(0);
        Action increment = () =>
        {
            for (int i = 0; i < 100_000; i++)
                sequence.IncrementAndGet();
        };

        Eventually.Completes([increment, increment], "the incrementing threads");
        Assert.Equal(200_000, sequence.Value);
    }

    private sealed class RawObject
    {
        public byte FirstByte;
    }
}
