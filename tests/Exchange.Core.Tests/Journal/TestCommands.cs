using Exchange.Core.Commands;

namespace Exchange.Core.Tests.Journal;

/// <summary>Commands for the journal tests: every field filled, from a seeded generator so failures reproduce.</summary>
internal static class TestCommands
{
    public static Command Random(Random random, long sequence) => new()
    {
        Type = (CommandType)random.Next(1, 10),
        Side = (Side)random.Next(2),
        OrderType = (OrderType)random.Next(2),
        TimeInForce = (TimeInForce)random.Next(3),
        Flags = (OrderFlags)random.Next(4),
        Stp = (SelfTradePrevention)random.Next(3),
        AccountId = random.Next(int.MinValue, int.MaxValue),
        InstrumentId = random.Next(-1, 64),
        Price = random.NextInt64(long.MinValue, long.MaxValue),
        Quantity = random.NextInt64(long.MinValue, long.MaxValue),
        ClientOrderId = random.NextInt64(long.MinValue, long.MaxValue),
        OrderId = random.NextInt64(long.MinValue, long.MaxValue),
        Amount = random.NextInt64(long.MinValue, long.MaxValue),
        Sequence = sequence,
        Timestamp = random.NextInt64(long.MinValue, long.MaxValue),
        Origin = (uint)random.NextInt64(0, 1L << 32),
        Token = (uint)random.NextInt64(0, 1L << 32),
    };

    /// <summary>The command the tests journal at <paramref name="sequence"/>: the same for a sequence every time.</summary>
    public static Command At(long sequence) => Random(new Random(unchecked((int)sequence * 7919 + 17)), sequence);

    public static void AssertEqual(in Command expected, in Command actual)
    {
        Assert.Equal(expected.Type, actual.Type);
        Assert.Equal(expected.Side, actual.Side);
        Assert.Equal(expected.OrderType, actual.OrderType);
        Assert.Equal(expected.TimeInForce, actual.TimeInForce);
        Assert.Equal(expected.Flags, actual.Flags);
        Assert.Equal(expected.Stp, actual.Stp);
        Assert.Equal(expected.AccountId, actual.AccountId);
        Assert.Equal(expected.InstrumentId, actual.InstrumentId);
        Assert.Equal(expected.Price, actual.Price);
        Assert.Equal(expected.Quantity, actual.Quantity);
        Assert.Equal(expected.ClientOrderId, actual.ClientOrderId);
        Assert.Equal(expected.OrderId, actual.OrderId);
        Assert.Equal(expected.Amount, actual.Amount);
        Assert.Equal(expected.Sequence, actual.Sequence);
        Assert.Equal(expected.Timestamp, actual.Timestamp);
        Assert.Equal(expected.Origin, actual.Origin);
        Assert.Equal(expected.Token, actual.Token);
    }
}
