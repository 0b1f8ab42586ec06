using Exchange.Core.Book;
using Exchange.Core.Journal;

namespace Exchange.Core.Tests.Journal;

public class StreamingCopyTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4099)]
    [InlineData(StreamingCopy.Threshold / 64 - 1)]
    [InlineData(StreamingCopy.Threshold / 64)]
    [InlineData(StreamingCopy.Threshold / 64 + 1)]
    [InlineData(100_003)]
    public void Copy_OfOrders_EqualsTheSource_AtEveryDestinationAlignment(int count)
    {
        // Orders are 64 bytes: the counts straddle the size from which the copy streams.
        Assert.Equal(64, System.Runtime.CompilerServices.Unsafe.SizeOf<Order>());
        var random = new Random(count);
        var source = new Order[count + 3];
        for (var i = 0; i < source.Length; i++)
            source[i] = new Order
            {
                Id = random.NextInt64(), ClientOrderId = random.NextInt64(), Price = random.NextInt64(), Remaining = random.NextInt64(),
                AccountId = random.Next(), InstrumentId = random.Next(), PostOnly = random.Next(2) == 1,
                Prev = random.Next(), Next = random.Next(), AccountPrev = random.Next(), AccountNext = random.Next(),
            };
        // Slices shifted by one 64-byte element move neither alignment, so shift the destination by bytes instead: a
        // long[] viewed as orders at an offset of 8, 16 and 24 bytes covers every 32-byte alignment an array can have.
        for (var shift = 0; shift < 4; shift++)
        {
            var backing = new long[(count + 1) * 8 + 4];
            var destination = System.Runtime.InteropServices.MemoryMarshal.Cast<long, Order>(backing.AsSpan(shift))[..count];
            StreamingCopy.Copy<Order>(source.AsSpan(1, count), destination);
            for (var i = 0; i < count; i++)
                if (!System.Runtime.InteropServices.MemoryMarshal.AsBytes(source.AsSpan(1 + i, 1))
                        .SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.AsBytes(destination.Slice(i, 1))))
                    Assert.Fail($"order {i} of {count} differs at a shift of {8 * shift} bytes");
            // Nothing written outside the destination.
            for (var k = 0; k < shift; k++) Assert.Equal(0, backing[k]);
            for (var k = count * 8 + shift; k < backing.Length; k++) Assert.Equal(0, backing[k]);
        }
    }

    [Fact]
    public void Copy_IntoAShorterDestination_Throws()
    {
        var source = new Order[5000];
        Assert.Throws<ArgumentException>(() => StreamingCopy.Copy<Order>(source, new Order[4999]));
    }
}
