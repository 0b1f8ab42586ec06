using Exchange.Core.Commands;
using Exchange.Core.Journal;

namespace Exchange.Core.Tests.Journal;

public sealed class CommandCodecTests
{
    [Fact]
    public void WriteThenRead_EveryFieldSet_RoundTrips()
    {
        var command = new Command
        {
            Type = CommandType.Amend,
            Side = Side.Sell,
            OrderType = OrderType.Market,
            TimeInForce = TimeInForce.Fok,
            Flags = OrderFlags.PostOnly | OrderFlags.ReduceOnly,
            Stp = SelfTradePrevention.CancelBoth,
            AccountId = int.MaxValue,
            InstrumentId = Command.AllInstruments,
            Price = long.MinValue,
            Quantity = long.MaxValue,
            ClientOrderId = -2,
            OrderId = 0x0102_0304_0506_0708,
            Amount = -0x0102_0304_0506_0708,
            Sequence = 123_456_789_012,
            Timestamp = 1_700_000_000_000_000_000,
            Origin = 0x8000_0001,
            Token = uint.MaxValue,
        };
        Span<byte> bytes = stackalloc byte[CommandCodec.Size];
        CommandCodec.Write(bytes, command);
        TestCommands.AssertEqual(command, CommandCodec.Read(bytes));
    }

    [Fact]
    public void WriteThenRead_ManyRandomCommands_RoundTrip()
    {
        var random = new Random(42);
        var bytes = new byte[CommandCodec.Size];
        for (int i = 0; i < 10_000; i++)
        {
            var command = TestCommands.Random(random, i);
            CommandCodec.Write(bytes, command);
            TestCommands.AssertEqual(command, CommandCodec.Read(bytes));
        }
    }

    [Fact]
    public void Write_Command_IsLittleEndianAtDocumentedOffsets()
    {
        var command = new Command
        {
            Type = CommandType.Deposit,
            Side = Side.Sell,
            Stp = SelfTradePrevention.CancelMaker,
            AccountId = 0x0A0B0C0D,
            Price = 0x0102_0304_0506_0708,
            Timestamp = -1,
            Origin = 0x0102_0304,
            Token = 0xA1B2_C3D4,
        };
        var bytes = new byte[CommandCodec.Size + 4];
        bytes.AsSpan().Fill(0xEE);
        CommandCodec.Write(bytes, command);

        Assert.Equal((byte)CommandType.Deposit, bytes[0]);
        Assert.Equal((byte)Side.Sell, bytes[1]);
        Assert.Equal((byte)SelfTradePrevention.CancelMaker, bytes[5]);
        Assert.Equal([CommandCodec.Format, 0], bytes[6..8]);
        Assert.Equal([0x0D, 0x0C, 0x0B, 0x0A], bytes[8..12]);
        Assert.Equal([0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01], bytes[16..24]);
        Assert.All(bytes[64..72], b => Assert.Equal(0xFF, b));
        Assert.Equal([0x04, 0x03, 0x02, 0x01], bytes[72..76]);
        Assert.Equal([0xD4, 0xC3, 0xB2, 0xA1], bytes[76..80]);
        // Nothing past the fixed size is touched.
        Assert.All(bytes[80..], b => Assert.Equal(0xEE, b));
    }

    [Fact]
    public void ReadLegacy_AFormatOneCommand_ReadsItsFieldsWithNoTokenSpace()
    {
        var command = TestCommands.Random(new Random(7), 12);
        var bytes = new byte[CommandCodec.Size];
        CommandCodec.Write(bytes, command);
        var legacy = CommandCodec.ReadLegacy(bytes.AsSpan(0, CommandCodec.LegacySize));
        command.Origin = 0;
        command.Token = 0;
        TestCommands.AssertEqual(command, legacy);
    }

    [Fact]
    public void Write_DestinationTooSmall_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => CommandCodec.Write(new byte[CommandCodec.Size - 1], default));

    [Fact]
    public void Read_SourceTooSmall_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => CommandCodec.Read(new byte[CommandCodec.Size - 1]));
}
