using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Journal;
using Exchange.Core.Tests.Support;

namespace Exchange.Core.Tests.Journal;

/// <summary>
/// The captured image is the state at the capture, whatever is applied after it (issue 16): serialized after the
/// exchange has moved on, it must give the bytes of the state at the capture, with the positions copied at once or
/// deferred (copied over the following commands, each account's before a fill writes it).
/// </summary>
public class SnapshotImageTests
{
    /// <summary>Funded accounts, each holding a position (pairs traded) and with one resting order.</summary>
    internal static Market Populated(int accounts)
    {
        var m = new Market(options: new ExchangeOptions { AccountCapacity = accounts + 64 });
        m.Mark(120_000);
        for (var a = 1; a <= accounts; a++) m.Deposit(a, 100_000);
        for (var a = 1; a < accounts; a += 2)
        {
            m.Sell(a, 120_000, 1 + a % 7);
            m.Buy(a + 1, 120_000, 1 + a % 7, TimeInForce.Ioc);
        }
        for (var a = 1; a <= accounts; a++)
        {
            if (a % 2 == 0) m.Buy(a, 119_000 - a % 500, 1);
            else m.Sell(a, 121_000 + a % 500, 1);
        }
        return m;
    }

    /// <summary>Fills on makers all over the id range (asks of odd accounts, bids of even ones), a short account
    /// buying back past flat, a new account, a mark and a cancel.</summary>
    internal static void Mutate(Market m, int accounts)
    {
        m.Deposit(accounts + 1, 1_000_000);
        Assert.Equal(accounts / 3, Trades(m.Buy(accounts + 1, 121_499, accounts / 3, TimeInForce.Ioc)));
        Assert.Equal(accounts / 3, Trades(m.Sell(accounts + 1, 118_500, accounts / 3, TimeInForce.Ioc)));
        Assert.True(Trades(m.Buy(5, 121_499, 20, TimeInForce.Ioc)) > 0);
        m.Mark(120_500);
        m.Do(Command.CancelOrder(accounts - 1, m.Btc, 0));
    }

    private static int Trades(Event[] events)
    {
        var n = 0;
        foreach (var e in events) if (e.Type == EventType.Trade) n++;
        return n;
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 0)]
    [InlineData(true, 150)]
    [InlineData(true, 299)]
    public void SerializedAfterTheExchangeMovedOn_TheImageGivesTheStateAtTheCapture(bool defer, int copiedBefore)
    {
        const int accounts = 300;
        var m = Populated(accounts);
        var expected = SnapshotCodec.Write(m.X);
        var hash = m.X.StateHash();
        var buffer = new SnapshotBuffer();

        buffer.Image.Capture(m.X, defer);
        // The deferred copy part done, in id order, before the commands: fills land on both sides of where it got to.
        Assert.Equal(!defer, m.X.AccountStore.CopyDeferredPositions(copiedBefore));
        Mutate(m, accounts);
        Assert.NotEqual(hash, m.X.StateHash());
        Assert.True(m.X.AccountStore.CopyDeferredPositions(int.MaxValue));

        SnapshotCodec.Write(buffer.Image, buffer);
        Assert.Equal(expected, buffer.Written.ToArray());
        var restored = new Exchange(new ExchangeOptions { AccountCapacity = accounts + 64 });
        restored.AddInstrument(Market.Spec());
        SnapshotCodec.Read(buffer.Written, restored);
        Assert.Equal(hash, restored.StateHash());
        m.AssertInvariants();
    }

    [Fact]
    public void ACaptureWhileAnotherIsDeferred_CompletesTheOtherFirst()
    {
        const int accounts = 300;
        var m = Populated(accounts);
        var expected = SnapshotCodec.Write(m.X);
        var buffer = new SnapshotBuffer();

        buffer.Image.Capture(m.X, deferPositions: true);
        Assert.Equal(expected, SnapshotCodec.Write(m.X));
        // Nothing is left to copy: the second capture finished the first's positions before taking its own.
        Assert.True(m.X.AccountStore.CopyDeferredPositions(0));
        Mutate(m, accounts);

        SnapshotCodec.Write(buffer.Image, buffer);
        Assert.Equal(expected, buffer.Written.ToArray());
        m.AssertInvariants();
    }
}
