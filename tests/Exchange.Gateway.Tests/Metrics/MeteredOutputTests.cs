using System.Diagnostics;
using System.Diagnostics.Metrics;
using Exchange.Core;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Pipeline;
using Exchange.Gateway.Metrics;
using Exchange.Gateway.Routing;
using Exchange.Testing;
using FsCheck.Fluent;

namespace Exchange.Gateway.Tests.Metrics;

/// <summary>The metrics on the output thread: no allocation, no lock shared with a collecting reader, and the counts.</summary>
public sealed class MeteredOutputTests
{
    [Fact]
    public void OnEvents_WarmedUp_AllocatesNothingOnTheOutputThread()
    {
        var commands = RecordedCommands(LossPolicy.Socialize);
        var (output, pending) = Metered();
        Replay(output, pending, commands);  // warm-up: the JIT, the position table's growth

        // The fewest bytes of five rounds, as ThreadProbe measures: an allocation per command shows in every round, while
        // the runtime's own one-off work on this thread (a method tiering up) shows in one at most.
        var fewest = long.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            Replay(output, pending, commands);
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, fewest);
        Assert.Equal(6 * commands.Count, output.Latency.Dropped + Drained(output));
    }

    [Fact]
    public async Task OnEvents_WhileACollectionIsStuckInsideTheMeter_GoesOn()
    {
        var commands = RecordedCommands(LossPolicy.Adl);
        var (output, pending) = Metered();
        using var meter = new ExchangeMeter(output, ["A", "B", "C"], () => 0, null, 1024);
        using var stuck = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == meter.Meter) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, _, _, _) =>
        {
            stuck.Set();
            release.Wait();                 // a scrape that never finishes, holding whatever the collection holds
        });
        listener.Start();
        var collector = new Thread(listener.RecordObservableInstruments) { IsBackground = true };
        collector.Start();
        Assert.True(stuck.Wait(TimeSpan.FromSeconds(30)));

        var done = Task.Run(() => Replay(output, pending, commands));
        var finished = await Task.WhenAny(done, Task.Delay(TimeSpan.FromSeconds(60))) == done;
        release.Set();
        collector.Join();

        Assert.True(finished, "the output thread waited for the collecting reader");
        Assert.Equal(commands.Count, TotalByType(output));
    }

    [Fact]
    public void OnEvents_CountsCommandsByTypeAndRejectsByCode_AndTimesEachCommand()
    {
        var commands = RecordedCommands(LossPolicy.Adl);
        var (output, pending) = Metered();
        Replay(output, pending, commands);

        // Counted by the message a session published; a command no client message carries counts under None.
        foreach (var type in Enum.GetValues<CommandType>())
            Assert.Equal(commands.Count(c => (MeteredOutput.TypeOf.Contains(c.Type) ? c.Type : CommandType.None) == type), output.Commands(type));
        foreach (var code in Enum.GetValues<RejectCode>())
            if (code != RejectCode.None)
                Assert.Equal(commands.Count(c => c.Events is [{ Type: EventType.Rejected }] && c.Events[0].Reason == code), output.Rejects(code));
        Assert.Equal(commands.Count, output.Reported);
        Assert.Equal(commands.Count, Drained(output));
    }

    [Fact]
    public void TypeOf_MapsEveryOrderEntryMessageToItsCommand()
    {
        Assert.Equal(CommandType.NewOrder, MeteredOutput.TypeOf['O']);
        Assert.Equal(CommandType.Amend, MeteredOutput.TypeOf['U']);
        Assert.Equal(CommandType.Cancel, MeteredOutput.TypeOf['X']);
        Assert.Equal(CommandType.CancelAll, MeteredOutput.TypeOf['C']);
        Assert.Equal(CommandType.SetMark, MeteredOutput.TypeOf['P']);
        Assert.Equal(CommandType.Funding, MeteredOutput.TypeOf['F']);
        Assert.Equal(CommandType.Deposit, MeteredOutput.TypeOf['D']);
        Assert.Equal(CommandType.Withdraw, MeteredOutput.TypeOf['W']);
        Assert.Equal(CommandType.DepositInsurance, MeteredOutput.TypeOf['I']);
        Assert.Equal(CommandType.ResumeTrading, MeteredOutput.TypeOf['R']);
        Assert.Equal(10, MeteredOutput.TypeOf.Count(t => t != CommandType.None));
    }

    [Fact]
    public void LabelSlots_HoldEveryCommandTypeAndRejectCode()
    {
        Assert.All(Enum.GetValues<CommandType>(), t => Assert.InRange((int)t, 0, MeteredOutput.CommandTypes - 1));
        Assert.All(Enum.GetValues<RejectCode>(), c => Assert.InRange((int)c, 0, MeteredOutput.RejectCodes - 1));
    }

    private static long TotalByType(MeteredOutput output)
    {
        long total = 0;
        // None: the generator's invalid commands, which no client message produces.
        foreach (var type in Enum.GetValues<CommandType>()) total += output.Commands(type);
        return total;
    }

    private static (MeteredOutput Output, PendingTable Pending) Metered()
    {
        var pending = new PendingTable(1024);
        var output = new MeteredOutput(new NoOutput(), pending, new ExchangeHealth(3), new SampleRing(1 << 16));
        return (output, pending);
    }

    /// <summary>Each command as the output thread sees it: claimed and stamped by a session, then reported.</summary>
    private static void Replay(MeteredOutput output, PendingTable pending, List<Recorded> commands)
    {
        for (var i = 0; i < commands.Count; i++)
        {
            Assert.True(pending.TryClaim(out var correlation));
            pending[correlation].PublishedAt = Stopwatch.GetTimestamp();
            pending[correlation].MessageType = commands[i].MessageType;
            output.OnEvents(i + 1, correlation, commands[i].Events);
            pending.Release(correlation);
        }
        output.OnEndOfBatch();
    }

    private static int Drained(MeteredOutput output)
    {
        var sink = new CountingSink();
        return output.Latency.Drain(ref sink);
    }

    /// <summary>The events of a generated scenario's commands, liquidations and all (three instruments at most).</summary>
    private static List<Recorded> RecordedCommands(LossPolicy policy)
    {
        var s = Generators.Scenarios(policy, 300, 300).Generator.Sample(10, 1)[0];
        var core = ScenarioDriver.NewCore(s);
        var driver = new ScenarioDriver(s, core);
        var commands = new List<Recorded>();
        foreach (var intent in s.Intents)
        {
            var c = driver.Next(intent);
            var letter = (byte)Array.IndexOf(MeteredOutput.TypeOf, c.Type);
            commands.Add(new Recorded(c.Type, letter, core.Apply(c).ToArray()));
        }
        InvariantChecker.AssertHolds(core);
        return commands;
    }

    /// <summary>A command's type, the message letter a client would have sent for it, and its events.</summary>
    private sealed record Recorded(CommandType Type, byte MessageType, Event[] Events);

    private sealed class NoOutput : IOutputHandler
    {
        public void OnEvents(long commandSequence, long correlation, ReadOnlySpan<Event> events)
        {
        }
    }

    private struct CountingSink : ISampleSink
    {
        public void Take(long sample) => Assert.True(sample >= 0);
    }
}
