using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Instruments;
using ModelRunner = Exchange.Testing.ScenarioRunner;

namespace Exchange.Core.Tests.Liquidation;

/// <summary>
/// A liquidation run scores an ADL side once and keeps its heap for the next positions deleveraged against it
/// (AdlQueue). These cascades deleverage dozens of bankrupt positions against the same sides in one command, with
/// counterparties partly closed and coming back, makers filled by liquidations joining the queue, accounts holding
/// both instruments, and haircuts under socialize: the core must match the reference model, which ranks every side
/// afresh for every position, event by event.
/// </summary>
public sealed class AdlCascadeTests
{
    private static InstrumentSpec Spec(string name) => new()
    {
        Name = name, TickValue = 100, ImrPpm = 100_000, MmrPpm = 50_000, MakerFeePpm = 0, TakerFeePpm = 500,
        LiquidationFeePpm = 10_000, BandPpm = 500_000, LiquidationBandPpm = 200_000,
        MaxPrice = 10_000_000, MaxOrderLots = 10_000_000, MaxPositionLots = 10_000_000,
    };

    // 90 accounts: every side's heap fits the hot part of AdlQueue's side heap (64 entries); 400: sides of 100 and more
    // holders keep a cold list, which the cascade's deep ADLs merge.
    [Theory]
    [InlineData(LossPolicy.Adl, 1, 90)]
    [InlineData(LossPolicy.Adl, 2, 90)]
    [InlineData(LossPolicy.Adl, 3, 90)]
    [InlineData(LossPolicy.Socialize, 1, 90)]
    [InlineData(LossPolicy.Socialize, 2, 90)]
    [InlineData(LossPolicy.Adl, 4, 400)]
    [InlineData(LossPolicy.Socialize, 3, 400)]
    public void ACascadeOfAdls_InOneCommand_MatchesTheModelThatRanksAfreshEachTime(LossPolicy policy, int seed, int accounts)
    {
        var rng = new Random(seed);
        var Accounts = accounts;
        var Maker = Accounts + 1;
        var commands = new List<Command> { Command.Mark(0, 10_000), Command.Mark(1, 10_000), Command.InsuranceDeposit(2_000_000) };
        // A lot is worth 1,000,000 units at the mark of 10,000 ticks.
        var deposit = new long[Accounts + 1];
        for (var a = 1; a <= Accounts; a++) commands.Add(Command.DepositTo(a, deposit[a] = rng.Next(1_000_000, 10_000_000)));
        commands.Add(Command.DepositTo(Maker, 1_000_000_000));
        // Pairs long against short in each instrument, up to 4.5x of the smaller deposit each; some accounts in both.
        for (var instrument = 0; instrument < 2; instrument++)
        {
            var order = Enumerable.Range(1, Accounts).OrderBy(_ => rng.Next()).ToList();
            for (var k = 0; k + 1 < order.Count; k += 2)
            {
                if (rng.Next(3) == 0) continue;
                var lots = 1 + rng.Next((int)(Math.Min(deposit[order[k]], deposit[order[k + 1]]) * 9 / 2 / 1_000_000));
                var (buyer, seller) = rng.Next(2) == 0 ? (order[k], order[k + 1]) : (order[k + 1], order[k]);
                commands.Add(Command.Limit(buyer, instrument, Side.Buy, 10_000, lots));
                commands.Add(Command.Limit(seller, instrument, Side.Sell, 10_000, lots, TimeInForce.Ioc));
            }
            // A thin book: the liquidations take it and the maker's fills make it a holder mid-cascade.
            for (var level = 1; level <= 3; level++)
            {
                commands.Add(Command.Limit(Maker, instrument, Side.Buy, 10_000 - 300 * level, 15));
                commands.Add(Command.Limit(Maker, instrument, Side.Sell, 10_000 + 300 * level, 15));
            }
        }
        // One gap each way, then back: each a single command with a cascade.
        commands.Add(Command.Mark(0, 7_000));
        commands.Add(Command.Mark(1, 13_500));
        commands.Add(Command.Mark(0, 10_500));
        var seq = 0L;
        for (var i = 0; i < commands.Count; i++) commands[i] = commands[i] with { Sequence = ++seq };

        var perCommand = new List<int>();
        ModelRunner.CompareWithModel(new ExchangeOptions { Policy = policy }, [Spec("A"), Spec("B")], commands, (_, events) =>
        {
            // Positions deleveraged in the command: distinct (bankrupt, instrument) pairs.
            var positions = new HashSet<(int, int)>();
            foreach (var e in events)
                if (e.Type == EventType.AdlClosure) positions.Add((e.AccountId, e.InstrumentId));
            perCommand.Add(positions.Count);
        });

        // The case this is for: many positions deleveraged against the same sides within one command.
        Assert.True(perCommand.Max() >= 8, $"at most {perCommand.Max()} positions deleveraged in one command");
    }
}
