using System.Text;
using Exchange.Core.Journal;

namespace Exchange.Core.Tests.Journal;

public sealed class Crc32CTests
{
    [Fact]
    public void Compute_StandardCheckString_ReturnsCatalogueValue() =>
        Assert.Equal(0xE306_9283u, Crc32C.Compute("123456789"u8));

    [Fact]
    public void Compute_Empty_ReturnsZero() =>
        Assert.Equal(0u, Crc32C.Compute([]));

    [Fact]
    public void Compute_ThirtyTwoZeroBytes_ReturnsRfc3720Value() =>
        Assert.Equal(0x8A91_36AAu, Crc32C.Compute(new byte[32]));

    [Fact]
    public void Append_InAnyTwoPieces_EqualsComputeOfTheWhole()
    {
        var data = Encoding.ASCII.GetBytes("The quick brown fox jumps over the lazy dog.");
        uint whole = Crc32C.Compute(data);
        for (int split = 0; split <= data.Length; split++)
        {
            uint crc = Crc32C.Append(Crc32C.Start(), data.AsSpan(0, split));
            crc = Crc32C.Append(crc, data.AsSpan(split));
            Assert.Equal(whole, Crc32C.Finish(crc));
        }
    }

    [Fact]
    public void Compute_OneBitFlipped_Differs()
    {
        var data = new byte[88];
        uint clean = Crc32C.Compute(data);
        data[40] ^= 1;
        Assert.NotEqual(clean, Crc32C.Compute(data));
    }
}
