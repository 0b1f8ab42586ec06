using Exchange.Benchmarks;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Testing;

namespace Exchange.Core.Tests.Liquidation;

/// <summary>
/// The account reports that end a socializing command: the socializer records each haircut's touch as it writes the
/// event (<c>AccountReports.TouchedAlone</c>) instead of the scan at the command's end reading it back. The reports must
/// be the scan's: one per account in the order of its first touch by the command's events, a position state per
/// touched instrument first, and the account's state after the command.
/// </summary>
public sealed class SocializationReportTests
{
    [Theory]
    [InlineData(300)]
    [InlineData(1_000)]
    public void Reports_FollowTheFirstTouchOfEachAccount_AndTheStateAfterTheCommand(int winners)
    {
        var benchmark = new LiquidationBenchmarks { Winners = winners, Policy = LossPolicy.Socialize };
        benchmark.Setup();
        var x = benchmark.Exchange;
        for (var round = 0; round < 3; round++)
        {
            if (round > 0) benchmark.Reopen();
            var mark = Command.Mark(0, 133_000);
            mark.Sequence = x.LastSequence + 1;
            var events = x.Apply(mark).ToArray();

            // The reports are the trailing run of position and account states.
            var end = events.Length;
            while (end > 0 && events[end - 1].Type is EventType.PositionState or EventType.AccountState) end--;
            var order = new List<int>();
            var instruments = new Dictionary<int, ulong>();
            var haircuts = 0;
            for (var i = 0; i < end; i++)
            {
                if (events[i].Type == EventType.Haircut) haircuts++;
                var touched = EventTouches.Accounts(in events[i], out var first, out var second, out var instrument);
                if (touched > 0) Note(first, instrument);
                if (touched > 1) Note(second, instrument);
            }
            Assert.True(haircuts > winners / 2, $"{haircuts} haircuts");

            var k = end;
            foreach (var a in order)
            {
                for (var mask = instruments[a]; mask != 0; mask &= mask - 1)
                {
                    var i = System.Numerics.BitOperations.TrailingZeroCount(mask);
                    Assert.Equal(EventType.PositionState, events[k].Type);
                    Assert.Equal(a, events[k].AccountId);
                    Assert.Equal(i, events[k].InstrumentId);
                    Assert.Equal(x.PositionQty(a, i), events[k].Quantity);
                    k++;
                }
                Assert.Equal(EventType.AccountState, events[k].Type);
                Assert.Equal(a, events[k].AccountId);
                Assert.Equal(x.Balance(a), events[k].Amount);
                k++;
            }
            Assert.Equal(events.Length, k);
            InvariantChecker.AssertHolds(x);

            void Note(int account, int instrument)
            {
                if (!instruments.TryGetValue(account, out var mask))
                {
                    order.Add(account);
                    mask = 0;
                }
                if (instrument >= 0) mask |= 1UL << instrument;
                instruments[account] = mask;
            }
        }
    }
}
