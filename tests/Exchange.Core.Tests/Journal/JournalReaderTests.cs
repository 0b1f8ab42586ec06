using Exchange.Core.Journal;
using static Exchange.Core.Tests.Journal.JournalFixture;

namespace Exchange.Core.Tests.Journal;

public sealed class JournalReaderTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private string Dir => _directory.Path;

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(0, 0)]
    [InlineData(9, 9)]
    [InlineData(10, 10)]
    [InlineData(23, 23)]
    [InlineData(44, 44)]
    public void Read_FromMidSequence_StartsThereAndCrossesFiles(long from, long firstExpected)
    {
        Write(Dir, first: 0, count: 45, recordsPerFile: 10);

        var (sequences, ending) = ReadAll(Dir, from);

        Assert.Equal(Range(firstExpected, (int)(45 - firstExpected)), sequences);
        Assert.Equal(JournalReadStatus.End, ending);
    }

    [Theory]
    [InlineData(45)]
    [InlineData(1_000)]
    public void Read_FromPastTheEnd_ReturnsEnd(long from)
    {
        Write(Dir, first: 0, count: 45, recordsPerFile: 10);
        using var reader = new JournalReader(Dir, from);
        Assert.Equal(JournalReadStatus.End, reader.Read(out _));
        Assert.Equal(44, reader.LastSequence);
    }

    [Fact]
    public void Read_FromBeforeTheFirstRecord_StartsAtTheFirstRecord()
    {
        Write(Dir, first: 100, count: 5, recordsPerFile: 2);
        Assert.Equal(Range(100, 5), ReadAll(Dir, fromSequence: 0).Sequences);
    }

    [Fact]
    public void Read_FormatOneRecordsThenFormatTwo_ReadsBothTheOlderWithNoTokenSpace()
    {
        // A journal written before tokens were journaled (72-byte commands), then appended to by this version.
        var file = FileFor(Dir, 1);
        using (var stream = new FileStream(file, FileMode.CreateNew))
        {
            for (long sequence = 1; sequence <= 3; sequence++) stream.Write(FormatOneRecord(TestCommands.At(sequence)));
            var record = new byte[RecordSize];
            for (long sequence = 4; sequence <= 5; sequence++)
            {
                JournalBatch.Write(record, TestCommands.At(sequence));
                stream.Write(record);
            }
        }

        using var reader = new JournalReader(Dir);
        for (long sequence = 1; sequence <= 5; sequence++)
        {
            Assert.Equal(JournalReadStatus.Record, reader.Read(out var command));
            var expected = TestCommands.At(sequence);
            if (sequence <= 3) (expected.Origin, expected.Token) = (0, 0);
            TestCommands.AssertEqual(expected, command);
        }
        Assert.Equal(JournalReadStatus.End, reader.Read(out _));
    }

    [Fact]
    public void Read_FormatOneRecordTornAtTheEnd_IsATornTail()
    {
        var file = FileFor(Dir, 1);
        var whole = FormatOneRecord(TestCommands.At(1));
        var torn = FormatOneRecord(TestCommands.At(2));
        using (var stream = new FileStream(file, FileMode.CreateNew))
        {
            stream.Write(whole);
            stream.Write(torn.AsSpan(0, 50));
        }
        var (sequences, ending) = ReadAll72(Dir);
        Assert.Equal([1L], sequences);
        Assert.Equal(JournalReadStatus.TornTail, ending);
    }

    private static (List<long>, JournalReadStatus) ReadAll72(string dir)
    {
        var sequences = new List<long>();
        using var reader = new JournalReader(dir);
        JournalReadStatus status;
        while ((status = reader.Read(out var command)) == JournalReadStatus.Record) sequences.Add(command.Sequence);
        return (sequences, status);
    }

    /// <summary>A record as journal format 1 wrote it: the header, then the command's first 72 bytes (no token space,
    /// no token), the CRC over the header's first 12 bytes and that payload.</summary>
    private static byte[] FormatOneRecord(in Core.Commands.Command command)
    {
        var payload = new byte[CommandCodec.Size];
        CommandCodec.Write(payload, command);
        var record = new byte[16 + CommandCodec.LegacySize];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(record, CommandCodec.LegacySize);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(4), command.Sequence);
        payload.AsSpan(0, CommandCodec.LegacySize).CopyTo(record.AsSpan(16));
        var crc = Crc32C.Finish(Crc32C.Append(Crc32C.Append(Crc32C.Start(), record.AsSpan(0, 12)), record.AsSpan(16)));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12), crc);
        return record;
    }

    /// <summary>A record as journal format 2 wrote it: the same 80 bytes with byte 6 (now the format) zero.</summary>
    private static byte[] FormatRecord(in Core.Commands.Command command, byte format)
    {
        var record = new byte[RecordSize];
        JournalRecord.Write(record, command);
        record[16 + 6] = format;
        var crc = Crc32C.Finish(Crc32C.Append(Crc32C.Append(Crc32C.Start(), record.AsSpan(0, 12)), record.AsSpan(16)));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12), crc);
        return record;
    }

    [Fact]
    public void Read_FormatTwoRecordsThenFormatThree_ReadsBothAlike()
    {
        using (var stream = new FileStream(FileFor(Dir, 1), FileMode.CreateNew))
        {
            for (long sequence = 1; sequence <= 3; sequence++) stream.Write(FormatRecord(TestCommands.At(sequence), 0));
            for (long sequence = 4; sequence <= 5; sequence++) stream.Write(FormatRecord(TestCommands.At(sequence), CommandCodec.Format));
        }

        using var reader = new JournalReader(Dir);
        for (long sequence = 1; sequence <= 5; sequence++)
        {
            Assert.Equal(JournalReadStatus.Record, reader.Read(out var command));
            TestCommands.AssertEqual(TestCommands.At(sequence), command);
        }
        Assert.Equal(JournalReadStatus.End, reader.Read(out _));
    }

    [Fact]
    public void Read_ARecordOfAnUnknownFormat_IsRefusedNamingIt()
    {
        using (var stream = new FileStream(FileFor(Dir, 1), FileMode.CreateNew))
        {
            stream.Write(FormatRecord(TestCommands.At(1), CommandCodec.Format));
            stream.Write(FormatRecord(TestCommands.At(2), CommandCodec.Format + 1));
            stream.Write(FormatRecord(TestCommands.At(3), CommandCodec.Format));
        }

        using var reader = new JournalReader(Dir);
        Assert.Equal(JournalReadStatus.Record, reader.Read(out _));
        var e = Assert.Throws<JournalCorruptException>(() => reader.Read(out _));
        Assert.Contains($"journal format {CommandCodec.Format + 1}", e.Message);
        Assert.False(JournalBatch.TryRead(FormatRecord(TestCommands.At(2), CommandCodec.Format + 1), out _));
        Assert.True(JournalBatch.TryRead(FormatRecord(TestCommands.At(2), 0), out _));
    }

    [Fact]
    public void Read_EmptyDirectory_ReturnsEnd()
    {
        using var reader = new JournalReader(Dir);
        Assert.Equal(JournalReadStatus.End, reader.Read(out _));
        Assert.Equal(-1, reader.LastSequence);
    }

    [Fact]
    public void Constructor_MissingDirectory_Throws() =>
        Assert.Throws<DirectoryNotFoundException>(() => new JournalReader(Path.Combine(Dir, "missing")));

    [Fact]
    public void Read_LastFileTruncatedMidRecord_ReportsTornTailAtTheCut()
    {
        Write(Dir, first: 0, count: 25, recordsPerFile: 10);
        string last = FileFor(Dir, 20);
        Truncate(last, 3 * RecordSize + 50);

        using var reader = new JournalReader(Dir);
        for (long expected = 0; expected < 23; expected++)
        {
            Assert.Equal(JournalReadStatus.Record, reader.Read(out var command));
            Assert.Equal(expected, command.Sequence);
        }

        Assert.Equal(JournalReadStatus.TornTail, reader.Read(out _));
        Assert.Equal(new JournalTornTail(last, 3 * RecordSize, 50), reader.TornTail);
        Assert.Equal(22, reader.LastSequence);
        // Final: asking again gives the same answer.
        Assert.Equal(JournalReadStatus.TornTail, reader.Read(out _));
    }

    [Fact]
    public void Read_LastFileTruncatedInsideHeader_ReportsTornTail()
    {
        Write(Dir, first: 0, count: 4);
        Truncate(FileFor(Dir, 0), 3 * RecordSize + 7);

        var (sequences, ending) = ReadAll(Dir);
        Assert.Equal(Range(0, 3), sequences);
        Assert.Equal(JournalReadStatus.TornTail, ending);
    }

    [Fact]
    public void Read_FileBeforeTheLastTruncated_ThrowsCorruptWithFileAndOffset()
    {
        Write(Dir, first: 0, count: 25, recordsPerFile: 10);
        string first = FileFor(Dir, 0);
        Truncate(first, 6 * RecordSize + 40);

        var error = Assert.Throws<JournalCorruptException>(() => ReadAll(Dir));
        Assert.Equal(first, error.FilePath);
        Assert.Equal(6 * RecordSize, error.Offset);
    }

    [Fact]
    public void Read_CorruptedCrcInTheMiddle_ThrowsCorruptWithFileAndOffset()
    {
        Write(Dir, first: 0, count: 20);
        string file = FileFor(Dir, 0);
        FlipByte(file, 5 * RecordSize + 12);

        using var reader = new JournalReader(Dir);
        for (int i = 0; i < 5; i++)
            Assert.Equal(JournalReadStatus.Record, reader.Read(out _));
        var error = Assert.Throws<JournalCorruptException>(() => reader.Read(out _));
        Assert.Equal(file, error.FilePath);
        Assert.Equal(5 * RecordSize, error.Offset);
        Assert.Contains("CRC", error.Message);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(87)]
    [InlineData(5)]
    public void Read_CorruptedPayloadOrSequence_ThrowsCorrupt(int byteInRecord)
    {
        Write(Dir, first: 0, count: 20);
        FlipByte(FileFor(Dir, 0), 7 * RecordSize + byteInRecord);

        var error = Assert.Throws<JournalCorruptException>(() => ReadAll(Dir));
        Assert.Equal(7 * RecordSize, error.Offset);
    }

    [Fact]
    public void Read_CorruptedLengthInTheMiddle_ThrowsCorrupt()
    {
        Write(Dir, first: 0, count: 20);
        FlipByte(FileFor(Dir, 0), 9 * RecordSize);

        var error = Assert.Throws<JournalCorruptException>(() => ReadAll(Dir));
        Assert.Equal(9 * RecordSize, error.Offset);
        Assert.Contains("length", error.Message);
    }

    [Fact]
    public void Read_CorruptedFinalRecordOfLastFile_ReportsTornTail()
    {
        Write(Dir, first: 0, count: 20);
        FlipByte(FileFor(Dir, 0), 19 * RecordSize + 30);

        var (sequences, ending) = ReadAll(Dir);
        Assert.Equal(Range(0, 19), sequences);
        Assert.Equal(JournalReadStatus.TornTail, ending);
    }

    [Fact]
    public void Read_FileNameDisagreesWithFirstRecord_ThrowsCorrupt()
    {
        Write(Dir, first: 0, count: 30, recordsPerFile: 10);
        File.Move(FileFor(Dir, 10), FileFor(Dir, 11));

        var error = Assert.Throws<JournalCorruptException>(() => ReadAll(Dir));
        Assert.Equal(FileFor(Dir, 11), error.FilePath);
        Assert.Equal(0, error.Offset);
    }

    [Fact]
    public void Read_OverlappingFiles_ThrowsCorruptOnSequenceGoingBack()
    {
        Write(Dir, first: 0, count: 10);
        // A stray second journal whose sequences overlap the first file's.
        using (var writer = new JournalWriter(Options(Path.Combine(Dir, "other"))))
            Append(writer, first: 5, count: 3);
        File.Move(FileFor(Path.Combine(Dir, "other"), 5), FileFor(Dir, 5));

        // The first file reads to 9; the second then starts at 5.
        var error = Assert.Throws<JournalCorruptException>(() => ReadAll(Dir));
        Assert.Equal(FileFor(Dir, 5), error.FilePath);
        Assert.Equal(0, error.Offset);
        Assert.Contains("does not follow", error.Message);
    }

    [Fact]
    public void Read_EmptyFileBeforeTheLast_ThrowsCorrupt()
    {
        Write(Dir, first: 0, count: 30, recordsPerFile: 10);
        Truncate(FileFor(Dir, 10), 0);

        var error = Assert.Throws<JournalCorruptException>(() => ReadAll(Dir));
        Assert.Equal(FileFor(Dir, 10), error.FilePath);
    }

    [Fact]
    public void Read_EmptyLastFile_EndsCleanly()
    {
        Write(Dir, first: 0, count: 10, recordsPerFile: 10);
        File.WriteAllBytes(FileFor(Dir, 10), []);

        var (sequences, ending) = ReadAll(Dir);
        Assert.Equal(Range(0, 10), sequences);
        Assert.Equal(JournalReadStatus.End, ending);
    }
}
