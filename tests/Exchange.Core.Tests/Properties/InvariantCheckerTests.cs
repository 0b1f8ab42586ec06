using Exchange.Core.Book;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Instruments;
using Exchange.Testing;

namespace Exchange.Core.Tests.Properties;

/// <summary>The checkers must fail when they should: each test breaks one invariant on purpose.</summary>
public sealed class InvariantCheckerTests
{
    private static Exchange TradedCore()
    {
        var x = new Exchange();
        x.AddInstrument(new InstrumentSpec
        {
            Name = "T", TickValue = 1, ImrPpm = 100_000, MmrPpm = 50_000, MakerFeePpm = 0, TakerFeePpm = 100,
            LiquidationFeePpm = 0, BandPpm = 100_000, LiquidationBandPpm = 50_000, MaxPrice = 1_000_000,
            MaxOrderLots = 1_000, MaxPositionLots = 1_000,
        });
        Command[] commands =
        [
            Command.Mark(0, 1000), Command.DepositTo(1, 100_000), Command.DepositTo(2, 100_000),
            Command.Limit(1, 0, Side.Sell, 1001, 5), Command.Limit(2, 0, Side.Buy, 1001, 3, TimeInForce.Ioc),
            Command.Limit(2, 0, Side.Buy, 990, 4),
        ];
        foreach (var c in commands) x.Apply(c);
        return x;
    }

    [Fact]
    public void Check_OnConsistentCore_Passes() => InvariantChecker.Check(TradedCore());

    [Fact]
    public void Violations_WhenOneUnitAppears_ReportsConservation()
    {
        var s = ExchangeSnapshot.Of(TradedCore());
        var broken = new ExchangeSnapshot
        {
            Specs = s.Specs, Marks = s.Marks, Insurance = s.Insurance + 1, Fees = s.Fees, ExchangeLedger = s.ExchangeLedger,
            Deposits = s.Deposits, Withdrawals = s.Withdrawals, LastOrderId = s.LastOrderId, LastTradeId = s.LastTradeId,
            Accounts = s.Accounts, Books = s.Books, Levels = s.Levels,
        };

        Assert.Contains(InvariantChecker.Violations(broken), v => v.StartsWith("conservation"));
    }

    [Fact]
    public void Violations_WhenBooksCrossAndLotsDisagree_ReportsBoth()
    {
        var s = ExchangeSnapshot.Of(TradedCore());
        var levels = s.Levels.Select(sides => new IReadOnlyList<BookLevel>[]
            { [new BookLevel(5000, 4)], sides[1] }).ToList();
        var broken = new ExchangeSnapshot
        {
            Specs = s.Specs, Marks = s.Marks, Insurance = s.Insurance, Fees = s.Fees, ExchangeLedger = s.ExchangeLedger,
            Deposits = s.Deposits, Withdrawals = s.Withdrawals, LastOrderId = s.LastOrderId, LastTradeId = s.LastTradeId,
            Accounts = s.Accounts.Select(a => a with { BuyLots = [a.BuyLots[0] + 1] }).ToList(), Books = s.Books, Levels = levels,
        };

        var found = InvariantChecker.Violations(broken);

        Assert.Contains(found, v => v.Contains("book crossed"));
        Assert.Contains(found, v => v.Contains("open lots"));
    }

    [Fact]
    public void EventStream_WithSelfTradeAndBadHaircutAndSkippedQueue_ReportsEach()
    {
        var c = new Command { Type = CommandType.SetMark, Sequence = 9 };
        Event E(EventType type) => new() { Type = type, Sequence = 9, CommandType = CommandType.SetMark };
        var events = new List<Event>
        {
            E(EventType.Trade) with { AccountId = 3, CounterpartyId = 3 },
            E(EventType.LiquidationStarted) with { AccountId = 1 },
            E(EventType.AdlClosure) with { AccountId = 1, CounterpartyId = 5 },
            E(EventType.Haircut) with { AccountId = 4, CounterpartyId = 1, Amount = 11 },
            E(EventType.LiquidationEnded) with { AccountId = 1 },
        };
        var trace = new LiquidationTrace(1) { Socialized = 11 };
        trace.Weights[4] = 10;
        trace.AdlQueues[0] = [4, 5];

        var found = EventStreamChecker.Violations(c, events, [trace]);

        Assert.Contains(found, v => v.StartsWith("self-trade"));
        Assert.Contains(found, v => v.Contains("above weight"));
        Assert.Contains(found, v => v.Contains("not a prefix"));
    }

    [Fact]
    public void CompareEvents_WithOneFieldDifferent_NamesTheIndexAndBothEvents()
    {
        var a = new Event { Type = EventType.Deposited, AccountId = 1, Amount = 5 };
        var b = a with { Amount = 6 };

        var ex = Assert.Throws<ModelMismatchException>(() =>
            StateComparer.CompareEvents(Command.DepositTo(1, 5), [a, a], [a, b]));

        Assert.Contains("index 1", ex.Message);
        Assert.Contains("amt=6", ex.Message);
    }

    [Fact]
    public void FillAccounting_WhenAFeeIsNotReported_FindsTheMissingUnit()
    {
        var core = TradedCore();
        var before = ExchangeSnapshot.Of(core);
        var c = Command.Limit(2, 0, Side.Buy, 1001, 2, TimeInForce.Ioc);
        var events = core.Apply(c).ToArray();
        var unreported = events.Select(e => e.Type == EventType.Trade ? e with { Amount = e.Amount - 1 } : e).ToList();

        var found = FillAccountingChecker.Violations(before, unreported, ExchangeSnapshot.Of(core));

        Assert.Contains(found, v => v.Contains("account 2") && v.Contains("balance"));
        Assert.Empty(FillAccountingChecker.Violations(before, events, ExchangeSnapshot.Of(core)));
    }
}
