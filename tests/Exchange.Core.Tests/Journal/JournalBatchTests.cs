using Exchange.Core.Journal;

namespace Exchange.Core.Tests.Journal;

public sealed class JournalBatchTests
{
    [Fact]
    public void Record_WrittenThenRead_IsTheSameCommandAndTheSameBytesAsTheFileJournal()
    {
        for (long sequence = 1; sequence <= 50; sequence++)
        {
            var command = TestCommands.At(sequence);
            var bytes = new byte[JournalBatch.RecordSize];
            JournalBatch.Write(bytes, command);

            Assert.True(JournalBatch.TryRead(bytes, out var read));
            TestCommands.AssertEqual(command, read);
            var file = new byte[JournalRecord.Size];
            JournalRecord.Write(file, command);
            Assert.Equal(file, bytes);
        }
    }

    [Fact]
    public void Record_AnyByteFlipped_IsRefused()
    {
        var bytes = new byte[JournalBatch.RecordSize];
        JournalBatch.Write(bytes, TestCommands.At(7));
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] ^= 0x10;
            Assert.False(JournalBatch.TryRead(bytes, out _), $"byte {i} flipped");
            bytes[i] ^= 0x10;
        }
    }

    [Fact]
    public void Record_Short_IsRefused()
    {
        var bytes = new byte[JournalBatch.RecordSize];
        JournalBatch.Write(bytes, TestCommands.At(3));
        Assert.False(JournalBatch.TryRead(bytes.AsSpan(0, JournalBatch.RecordSize - 1), out _));
    }
}
