using Exchange.Core.Commands;
using Exchange.Core.Journal;
using Exchange.Core.Tests.Support;

namespace Exchange.Core.Tests.Journal;

public class SnapshotCodecTests
{
    private static Market Busy()
    {
        var m = new Market();
        var eth = m.X.AddInstrument(Market.Spec("ETH-PERP"));
        for (var a = 1; a <= 6; a++) m.Deposit(a, 20_000);
        m.Do(Command.InsuranceDeposit(500 * Market.Usd));
        m.Mark(120_000);
        m.Do(Command.Mark(eth, 8_000));
        m.Sell(2, 120_010, 50);
        m.Sell(3, 120_010, 70);
        m.Sell(4, 120_020, 30);
        m.Buy(5, 119_990, 40);
        m.Buy(1, 120_010, 60); // partial fill of a level
        m.Do(Command.Limit(6, eth, Side.Buy, 7_990, 500, clientOrderId: 9));
        m.Do(Command.FundingAt(m.Btc, 100));
        return m;
    }

    private static Exchange Fresh()
    {
        var x = new Exchange();
        x.AddInstrument(Market.Spec());
        x.AddInstrument(Market.Spec("ETH-PERP"));
        return x;
    }

    [Fact]
    public void Restore_GivesTheSameStateHash_AndTheSameFutureEvents()
    {
        var m = Busy();
        var restored = Fresh();
        SnapshotCodec.Read(SnapshotCodec.Write(m.X), restored);
        Assert.Equal(m.X.StateHash(), restored.StateHash());

        // The same commands applied to both give the same events: priority, ids and the index survived.
        var next = new[]
        {
            Command.Limit(5, 0, Side.Buy, 120_020, 100), Command.CancelOrder(6, 0, 9), Command.Mark(0, 112_000),
            Command.Limit(1, 0, Side.Sell, 119_000, 10, TimeInForce.Ioc),
        };
        long seq = m.X.LastSequence;
        foreach (var c0 in next)
        {
            var c = c0;
            c.Sequence = ++seq;
            var a = m.X.Apply(in c).ToArray();
            var b = restored.Apply(in c).ToArray();
            Assert.Equal(a, b);
        }
        Assert.Equal(m.X.StateHash(), restored.StateHash());
        m.AssertInvariants();
    }

    [Fact]
    public void DamagedSnapshot_IsRejected_WithAClearError()
    {
        var bytes = SnapshotCodec.Write(Busy().X);
        bytes[bytes.Length / 2] ^= 0x40;
        var e = Assert.Throws<InvalidDataException>(() => SnapshotCodec.Read(bytes, Fresh()));
        Assert.Contains("checksum", e.Message);
        Assert.Throws<InvalidDataException>(() => SnapshotCodec.Read(bytes.AsSpan(0, 3), Fresh()));
    }

    [Fact]
    public void StateHash_ChangesWithAnyStateChange()
    {
        var m = Busy();
        var h = m.X.StateHash();
        m.Deposit(1, 1);
        Assert.NotEqual(h, m.X.StateHash());
    }

    [Fact]
    public void LifetimeDepositsPastLong_SurviveASnapshot()
    {
        var m = Busy();
        for (var k = 0; k < 9; k++)
        {
            m.Do(Command.DepositTo(7, Instruments.InstrumentSpec.MaxNotional));
            m.Do(Command.WithdrawFrom(7, Instruments.InstrumentSpec.MaxNotional));
        }
        Assert.True(m.X.Deposits > long.MaxValue);
        var restored = Fresh();
        SnapshotCodec.Read(SnapshotCodec.Write(m.X), restored);
        Assert.Equal((m.X.Deposits, m.X.Withdrawals), (restored.Deposits, restored.Withdrawals));
        Assert.Equal(m.X.StateHash(), restored.StateHash());
        m.AssertInvariants();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void OlderSnapshotVersions_AreStillRead(int version)
    {
        var m = Busy();
        var restored = Fresh();
        var v3 = AsVersion3(SnapshotCodec.Write(m.X));
        SnapshotCodec.Read(version == 3 ? v3 : AsVersion(version, v3, m.X), restored);
        Assert.Equal(m.X.StateHash(), restored.StateHash());
        Assert.Equal((m.X.Deposits, m.X.Withdrawals), (restored.Deposits, restored.Withdrawals));
    }

    /// <summary>A version 4 snapshot of an exchange with no token spaces as version 3 wrote it: magic "EXSNAP03" and no
    /// token spaces' count (4 zero bytes) before the CRC.</summary>
    private static byte[] AsVersion3(byte[] v4)
    {
        Assert.Equal([0, 0, 0, 0], v4[^8..^4]);
        var old = new List<byte>("EXSNAP03"u8.ToArray());
        old.AddRange(v4[8..^8]);
        old.AddRange(BitConverter.GetBytes(Crc32C.Compute(old.ToArray())));
        return old.ToArray();
    }

    /// <summary>
    /// An older form of a version 3 snapshot of an exchange without circuit breakers. Version 2 ("EXSNAP02") has no
    /// breaker state after each instrument's mark (halted 1, calm 4, reference 8, window count 4 bytes: 17 when the
    /// window is empty); version 1 ("EXSNAP01") neither, and its lifetime deposits and withdrawals are 8 bytes each,
    /// not 16. Layout: magic (8), sequence (8), policy (1), instrument count (4), each instrument (name with its
    /// 1-byte length, tick value, mark, breaker), last order and trade ids (16), insurance, fees, exchange (24).
    /// </summary>
    private static byte[] AsVersion(int version, byte[] v3, Exchange x)
    {
        var old = new List<byte>();
        old.AddRange(version == 1 ? "EXSNAP01"u8.ToArray() : "EXSNAP02"u8.ToArray());
        var at = 8;
        old.AddRange(v3[at..(at + 13)]);
        at += 13;
        for (var i = 0; i < x.InstrumentCount; i++)
        {
            var length = 1 + x.Instrument(i).Name.Length + 16;
            old.AddRange(v3[at..(at + length)]);
            at += length + 17;
        }
        old.AddRange(v3[at..(at + 40)]);
        at += 40;
        if (version == 1)
        {
            old.AddRange(BitConverter.GetBytes((long)x.Deposits));
            old.AddRange(BitConverter.GetBytes((long)x.Withdrawals));
        }
        else old.AddRange(v3[at..(at + 32)]);
        at += 32;
        old.AddRange(v3[at..^4]);
        old.AddRange(BitConverter.GetBytes(Crc32C.Compute(old.ToArray())));
        return old.ToArray();
    }
}
