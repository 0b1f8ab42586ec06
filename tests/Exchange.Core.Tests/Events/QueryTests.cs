using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Journal;
using Exchange.Core.Pipeline;
using Exchange.Core.Tests.Pipeline;
using Exchange.Core.Tests.Support;

namespace Exchange.Core.Tests.Events;

/// <summary>Queries are commands: answered in sequence with events, changing nothing. An account query is journaled (its
/// answer is a message of the user's stream, derived from the journal like every other); a book query is not.</summary>
public class QueryTests
{
    private static Market Trading()
    {
        var m = new Market();
        for (var a = 1; a <= 3; a++) m.Deposit(a, 100_000);
        m.Do(Command.InsuranceDeposit(9 * Market.Usd));
        m.Mark(120_000);
        m.Sell(2, 120_010, 10);
        m.Buy(1, 120_010, 4);
        m.Buy(3, 119_990, 5);
        m.Buy(1, 119_995, 6);
        m.Sell(3, 120_020, 8);
        return m;
    }

    [Fact]
    public void AnAccountQuery_AnswersPositionsWithTheAdlIndicator_ThenTheAccount_AndChangesNothingButTheLastSequence()
    {
        var m = Trading();
        var hash = m.X.StateHash();
        var last = m.X.LastSequence;
        var books = m.X.StateHash();
        m.Do(Command.BookQuery());
        // A book query (never journaled) moves nothing, not even the last sequence.
        Assert.Equal((books, last), (m.X.StateHash(), m.X.LastSequence));

        var ev = m.Do(Command.AccountQuery(1));

        Assert.Equal([EventType.PositionState, EventType.AccountState], ev.Select(e => e.Type));
        var p = ev[0];
        Assert.Equal((1, m.Btc, 4L, m.X.PositionCost(1, m.Btc), m.X.Upnl(1, m.Btc)), (p.AccountId, p.InstrumentId, p.PositionQty, p.CostBasis, p.Upnl));
        Assert.Equal((6L, 0L, m.X.AdlQuintile(1, m.Btc)), (p.OpenBuyLots, p.OpenSellLots, p.AdlQuintile));
        Assert.InRange(p.AdlQuintile, 1, 5);
        var a = ev[1];
        Assert.Equal((m.X.Balance(1), m.X.Equity(1), m.X.MaintenanceMargin(1), m.X.FreeMargin(1), 1),
            (a.Balance, a.Equity, a.MaintenanceMargin, a.FreeMargin, a.OpenOrders));
        Assert.All(ev, e => Assert.Equal(CommandType.QueryAccount, e.CommandType));
        // Journaled, so it moves the last sequence as any journaled command (the hash covers it); nothing else.
        Assert.Equal(ev[0].Sequence, m.X.LastSequence);
        Assert.True(ev[0].Sequence > last);
        var replay = Trading();
        replay.Do(Command.BookQuery());
        replay.X.LastSequence = m.X.LastSequence;
        Assert.Equal(replay.X.StateHash(), m.X.StateHash());
        Assert.NotEqual(hash, m.X.StateHash());
        Assert.Equal(RejectCode.UnknownAccount, Market.RejectOf(m.Do(Command.AccountQuery(77))));
        m.AssertInvariants();
    }

    [Fact]
    public void ABookQuery_AnswersEveryRestingOrderInPriorityOrder_TheMark_ThenTheInsuranceFund()
    {
        var m = Trading();
        var hash = m.X.StateHash();

        var ev = m.Do(Command.BookQuery());

        var rested = ev.Where(e => e.Type == EventType.OrderRested).ToArray();
        var book = m.X.OrdersInBook(m.Btc, Side.Buy).Concat(m.X.OrdersInBook(m.Btc, Side.Sell)).ToArray();
        Assert.Equal(book.Select(o => (o.OrderId, o.Side, o.Price, o.Remaining)), rested.Select(e => (e.OrderId, e.Side, e.Price, e.Quantity)));
        Assert.Equal([119_995L, 119_990, 120_010, 120_020], rested.Select(e => e.Price));
        Assert.Equal((EventType.MarkPrice, 120_000L), (ev[^2].Type, ev[^2].Price));
        Assert.Equal((EventType.InsuranceFund, m.X.Insurance), (ev[^1].Type, ev[^1].Amount));
        Assert.Equal(hash, m.X.StateHash());
        Assert.Equal(RejectCode.UnknownInstrument, Market.RejectOf(m.Do(Command.BookQuery(5))));
    }

    [Theory]
    [InlineData(PipelineTopology.Parallel)]
    [InlineData(PipelineTopology.SingleThread)]
    public void ThroughThePipeline_AccountQueriesAreJournaled_AndTheJournalAnswersThemAgain_ByteForByte(PipelineTopology topology)
    {
        var commands = PipelineWorkload.Commands(600);
        var journal = new MemoryJournal(commands.Length + 100);
        var output = new OutputRecorder();
        var exchange = PipelineWorkload.Fresh();
        var options = new PipelineOptions { InputRingSize = 1024, OutputRingSize = 256, Topology = topology, JournalInstance = journal };
        const int Queries = 60;

        using (var pipeline = new ExchangePipeline(exchange, options, output))
        {
            pipeline.Start();
            for (int i = 0; i < commands.Length; i++)
            {
                PipelineWorkload.Publish(pipeline, commands[i], i);
                // Accounts 1..9 (some exist, some not yet: rejected UNKNOWN_ACCOUNT, an answer too), with a token space.
                if (i % 10 == 0)
                    PipelineWorkload.Publish(pipeline, Command.AccountQuery(1 + i / 10 % 9) with { Origin = 1 + (uint)(i / 10 % 9), Token = 7 }, -1);
            }
            output.WaitFor(commands.Length + Queries);
        }

        var answers = output.Deliveries.Where(d => d.Correlation < 0).ToArray();
        Assert.Equal(Queries, answers.Length);
        // Every query is in the journal, at its sequence, with its token space and token.
        var journaledQueries = journal.Committed.ToArray().Where(c => c.Type == CommandType.QueryAccount).ToArray();
        Assert.Equal(answers.Select(a => a.Sequence), journaledQueries.Select(c => c.Sequence));
        Assert.All(journaledQueries, q => Assert.Equal(7u, q.Token));
        Assert.Equal(commands.Length + Queries, journal.Committed.Length);
        Assert.Equal(journal.Committed[^1].Sequence, exchange.LastSequence);

        // The journal alone gives every answer again, event for event, and the same state.
        var replay = PipelineWorkload.Fresh();
        var k = 0;
        foreach (var c in journal.Committed.ToArray())
        {
            var events = replay.Apply(in c).ToArray();
            if (c.Type == CommandType.QueryAccount) Assert.Equal(answers[k++].Events, events);
        }
        Assert.Equal(Queries, k);
        Assert.Equal(exchange.StateHash(), replay.StateHash());
        PipelineWorkload.AssertInvariants(exchange);
    }

    [Theory]
    [InlineData(PipelineTopology.Parallel)]
    [InlineData(PipelineTopology.SingleThread)]
    public void ThroughThePipeline_BookQueriesComeBackInSequence_AndAreNeverJournaled(PipelineTopology topology)
    {
        var commands = PipelineWorkload.Commands(600);
        var journal = new MemoryJournal(commands.Length);
        var output = new OutputRecorder();
        var exchange = PipelineWorkload.Fresh();
        var options = new PipelineOptions { InputRingSize = 1024, OutputRingSize = 256, Topology = topology, JournalInstance = journal };
        var (direct, expected) = PipelineWorkload.ApplyDirectly(commands);

        using (var pipeline = new ExchangePipeline(exchange, options, output))
        {
            pipeline.Start();
            for (int i = 0; i < commands.Length; i++)
            {
                PipelineWorkload.Publish(pipeline, commands[i], i);
                if (i % 50 == 0) PipelineWorkload.Publish(pipeline, Command.BookQuery(), -1);
            }
            output.WaitFor(commands.Length + 12);
        }

        // The state commands' events are exactly those of applying them alone; each query answered where it was sent.
        var states = output.Deliveries.Where(d => d.Correlation >= 0).ToArray();
        Assert.Equal(commands.Length, states.Length);
        for (int i = 0; i < states.Length; i++)
            Assert.Equal(expected[i].Select(e => e with { Sequence = 0 }), states[i].Events.Select(e => e with { Sequence = 0 }));
        var queries = output.Deliveries.Where(d => d.Correlation < 0).ToArray();
        Assert.Equal(12, queries.Length);
        Assert.All(queries, q => Assert.Equal(EventType.InsuranceFund, q.Events[^1].Type));
        Assert.Equal(commands.Length, journal.Committed.Length);
        foreach (var c in journal.Committed) Assert.False(c.IsQuery);
        // Same state (the hash also covers the last sequence, which the queries moved on).
        Assert.Equal(commands.Length + 12, exchange.LastSequence);
        for (int a = 1; a <= direct.MaxAccountId; a++)
            Assert.Equal(direct.AccountExists(a) ? direct.Balance(a) : 0, exchange.AccountExists(a) ? exchange.Balance(a) : 0);
        Assert.Equal(direct.LastTradeId, exchange.LastTradeId);
        PipelineWorkload.AssertInvariants(exchange);
    }
}
