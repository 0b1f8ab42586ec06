using Exchange.Core.Commands;
using Exchange.Core.Journal;
using Exchange.Core.Pipeline;
using Exchange.Core.Tests.Journal;

namespace Exchange.Core.Tests.Pipeline;

/// <summary>The pipeline's contract, which each <see cref="PipelineTopology"/> must keep (one subclass per topology).</summary>
public abstract class ExchangePipelineTests
{
    protected abstract PipelineTopology Topology { get; }

    /// <summary>Whether producers run the pipeline themselves (<see cref="PipelineOptions.InlineRuns"/>): the workload's
    /// publishes are then deferred and followed by <see cref="ExchangePipeline.RunPublished"/>.</summary>
    protected virtual bool InlineRuns => false;

    /// <summary>How long the single pipeline thread's blocking wait yields before it sleeps (<see cref="PipelineOptions.YieldBeforeSleep"/>).</summary>
    protected virtual TimeSpan YieldBeforeSleep => TimeSpan.Zero;

    private PipelineOptions Options(WaitStrategyKind wait = WaitStrategyKind.Yielding, ProducerType producers = ProducerType.Multi) =>
        new()
        {
            InputRingSize = 256, OutputRingSize = 64, WaitStrategy = wait, ProducerType = producers, Topology = Topology,
            InlineRuns = InlineRuns, YieldBeforeSleep = YieldBeforeSleep,
        };

    [Theory]
    [InlineData(WaitStrategyKind.Yielding, ProducerType.Multi)]
    [InlineData(WaitStrategyKind.Yielding, ProducerType.Single)]
    [InlineData(WaitStrategyKind.Blocking, ProducerType.Multi)]
    [InlineData(WaitStrategyKind.BusySpin, ProducerType.Single)]
    public void Publish_DeliversEveryCommandOnceInSequenceOrder_WithItsCorrelationAndExactlyTheDirectEvents(
        WaitStrategyKind wait, ProducerType producers)
    {
        var commands = PipelineWorkload.Commands(3_000);
        var (direct, expected) = PipelineWorkload.ApplyDirectly(commands);
        var exchange = PipelineWorkload.Fresh();
        var output = new OutputRecorder();

        using (var pipeline = new ExchangePipeline(exchange, Options(wait, producers), output))
        {
            pipeline.Start();
            PipelineWorkload.PublishAll(pipeline, commands);
            output.WaitFor(commands.Length);
            Assert.Equal(commands.Length, pipeline.LastProcessedSequence);
        }

        PipelineWorkload.AssertDeliveredInOrder(output.Deliveries, expected);
        Assert.Equal(direct.StateHash(), exchange.StateHash());
        Assert.Equal(0, output.Overlaps);
        PipelineWorkload.AssertInvariants(exchange);
    }

    [Theory]
    [InlineData(WaitStrategyKind.Yielding, false)]
    [InlineData(WaitStrategyKind.Blocking, true)]
    public void OnEndOfBatch_FollowsTheLastCommandDelivered_AndBatchesCoalesceABacklog(WaitStrategyKind wait, bool journal)
    {
        using var directory = new TempDirectory();
        var commands = PipelineWorkload.Commands(2_000);
        var output = new OutputRecorder();
        var options = Options(wait) with
        {
            InputRingSize = 4096,
            Journal = journal ? new JournalOptions { Directory = directory.Path, Fsync = FsyncPolicy.Never } : null,
        };
        var pipeline = new ExchangePipeline(PipelineWorkload.Fresh(), options, output);

        // Published before the start: one backlog. Single-threaded it is one input batch, so far fewer batch ends than
        // commands; in the parallel layout the output stage may keep pace with the business logic one command at a
        // time, so there the guarantee is only the last one.
        for (int i = 0; i < commands.Length; i++)
            Assert.True(pipeline.TryPublish(commands[i], i, out _));
        pipeline.Start();
        output.WaitFor(commands.Length);
        Eventually.True(() => output.DeliveredAtLastBatchEnd == commands.Length, "a batch end after the last delivery");
        pipeline.Dispose();

        Assert.InRange(output.BatchEnds, 1, Topology == PipelineTopology.SingleThread ? commands.Length / 2 : commands.Length);
    }

    [Fact]
    public void TryPublish_KeepsAProducersTimestamp_StampsAnUnstampedOne_AndEveryEventCarriesIt()
    {
        var clock = new UtcClock(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
        var journal = new MemoryJournal(8);
        var output = new OutputRecorder();
        var stamped = Command.DepositTo(1, 5_000);
        stamped.Timestamp = 1_700_000_000_123_456_789;
        var unstamped = Command.DepositTo(2, 7_000);

        using (var pipeline = new ExchangePipeline(PipelineWorkload.Fresh(), Options() with { TimeProvider = clock, JournalInstance = journal }, output))
        {
            pipeline.Start();
            PipelineWorkload.Publish(pipeline, stamped, 10);
            PipelineWorkload.Publish(pipeline, unstamped, 20);
            output.WaitFor(2);
        }

        var clockNs = (clock.GetUtcNow().UtcTicks - DateTime.UnixEpoch.Ticks) * 100;
        Assert.Equal([1_700_000_000_123_456_789L, clockNs], journal.Committed.ToArray().Select(c => c.Timestamp));
        Assert.All(output.Deliveries[0].Events, e => Assert.Equal(1_700_000_000_123_456_789, e.Timestamp));
        Assert.All(output.Deliveries[1].Events, e => Assert.Equal(clockNs, e.Timestamp));
        Assert.True(output.Deliveries[0].Events.Length >= 2, "a deposit reports the deposit and the account");
    }

    /// <summary>A wall clock that stands still.</summary>
    private sealed class UtcClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    [Fact]
    public void Publish_FromSeveralThreads_GivesEachCommandOneSequence_AndTheEventsOfApplyingThemInThatOrder()
    {
        const int threads = 4;
        const int perThread = 750;
        var commands = PipelineWorkload.Commands(threads * perThread);
        var bySequence = new Command[commands.Length + 1];
        var exchange = PipelineWorkload.Fresh();
        var output = new OutputRecorder();

        using (var pipeline = new ExchangePipeline(exchange, Options(), output))
        {
            pipeline.Start();
            var producers = new Action[threads];
            for (int t = 0; t < threads; t++)
            {
                int first = t * perThread;
                producers[t] = () =>
                {
                    for (int i = first; i < first + perThread; i++)
                    {
                        // The correlation names the command; the sequence is whatever the race gave it.
                        long sequence = PipelineWorkload.Publish(pipeline, commands[i], correlation: i);
                        bySequence[sequence] = commands[i];
                    }
                };
            }

            Eventually.Completes(producers, "the producers");
            output.WaitFor(commands.Length);
        }

        // Replaying the commands in the order the pipeline numbered them gives exactly what it delivered.
        var (direct, expected) = PipelineWorkload.ApplyDirectly(bySequence.AsSpan(1));
        Assert.Equal(commands.Length, output.Deliveries.Count);
        for (int i = 0; i < output.Deliveries.Count; i++)
        {
            var delivery = output.Deliveries[i];
            Assert.Equal(i + 1, delivery.Sequence);
            Assert.Equal(commands[delivery.Correlation].Type, bySequence[delivery.Sequence].Type);
            Assert.Equal(expected[i], delivery.Events);
        }

        Assert.Equal(direct.StateHash(), exchange.StateHash());
        PipelineWorkload.AssertInvariants(exchange);
    }

    [Theory]
    [InlineData(ProducerType.Multi)]
    [InlineData(ProducerType.Single)]
    public void TryPublishBatch_DeliversAsOneByOne_AndAFullRingTakesNoneOfTheBatch(ProducerType producers)
    {
        var commands = PipelineWorkload.Commands(1_000);
        var (direct, expected) = PipelineWorkload.ApplyDirectly(commands);
        var exchange = PipelineWorkload.Fresh();
        var output = new OutputRecorder();
        var correlations = new long[commands.Length];
        for (int i = 0; i < commands.Length; i++) correlations[i] = (i + 1) * 10L;

        using (var pipeline = new ExchangePipeline(exchange, Options(producers: producers) with { InputRingSize = 64 }, output))
        {
            // Not started: 40 fit, then a batch of 30 does not fit in the 24 slots left and takes none of them.
            Assert.True(pipeline.TryPublishBatch(commands.AsSpan(0, 40), correlations.AsSpan(0, 40), out long first));
            Assert.Equal(1, first);
            Assert.False(pipeline.TryPublishBatch(commands.AsSpan(40, 30), correlations.AsSpan(40, 30), out long refused));
            Assert.Equal(0, refused);
            pipeline.Start();
            // Batches of uneven sizes, retried while the ring is full.
            for (int i = 40, n = 1; i < commands.Length; i += n, n = n % 37 + 1)
            {
                n = Math.Min(n, commands.Length - i);
                long deadline = Environment.TickCount64 + (long)Eventually.Timeout.TotalMilliseconds;
                while (!pipeline.TryPublishBatch(commands.AsSpan(i, n), correlations.AsSpan(i, n), out first))
                {
                    Assert.True(Environment.TickCount64 < deadline, "the ring never made room for the batch");
                    Thread.Yield();
                }
                Assert.Equal(i + 1, first);
            }
            output.WaitFor(commands.Length);
        }

        PipelineWorkload.AssertDeliveredInOrder(output.Deliveries, expected);
        Assert.Equal(direct.StateHash(), exchange.StateHash());
        PipelineWorkload.AssertInvariants(exchange);
    }

    [Fact]
    public void TryPublish_WhenTheInputRingIsFull_ReturnsFalse_AndLosesNothing()
    {
        var commands = PipelineWorkload.Commands(100);
        var (_, expected) = PipelineWorkload.ApplyDirectly(commands);
        var output = new OutputRecorder();
        var options = Options() with { InputRingSize = 64 };

        using (var pipeline = new ExchangePipeline(PipelineWorkload.Fresh(), options, output))
        {
            // Not started: nothing consumes, so the ring fills at exactly its size.
            for (int i = 0; i < 64; i++)
                Assert.True(pipeline.TryPublish(commands[i], (i + 1) * 10, out _), $"command {i + 1} fits");
            Assert.False(pipeline.TryPublish(commands[64], 650, out long refused));
            Assert.Equal(0, refused);

            pipeline.Start();
            output.WaitFor(64);
            PipelineWorkload.PublishAll(pipeline, commands.AsSpan(64), firstSequence: 65);
            output.WaitFor(100);
        }

        PipelineWorkload.AssertDeliveredInOrder(output.Deliveries, expected);
    }

    [Fact]
    public void TryPublish_WithHeadroom_LeavesThatManySlotsForPublishersWithout()
    {
        var commands = PipelineWorkload.Commands(64);
        var output = new OutputRecorder();
        var options = Options() with { InputRingSize = 64 };

        using (var pipeline = new ExchangePipeline(PipelineWorkload.Fresh(), options, output))
        {
            // Not started: nothing consumes. With a headroom of 8, publishing stops with 8 slots free...
            for (int i = 0; i < 56; i++)
                Assert.True(pipeline.TryPublish(commands[i], (i + 1) * 10, headroom: 8, out _), $"command {i + 1} fits");
            Assert.False(pipeline.TryPublish(commands[56], 570, headroom: 8, out long refused));
            Assert.Equal(0, refused);
            // ...which a publisher without headroom (the gateway's own rejects) still gets, up to the ring's size.
            for (int i = 56; i < 64; i++)
                Assert.True(pipeline.TryPublish(commands[i], (i + 1) * 10, headroom: 0, out _), $"command {i + 1} takes the reserve");
            Assert.False(pipeline.TryPublish(commands[0], 1, headroom: 0, out _));

            pipeline.Start();
            output.WaitFor(64);
        }

        Assert.Equal(64, output.Deliveries.Count);
    }

    [Fact]
    public void TryPublish_BehindASlowOutputHandler_ReturnsFalse_ThenEverythingIsDelivered()
    {
        var commands = PipelineWorkload.Commands(2_000);
        var (_, expected) = PipelineWorkload.ApplyDirectly(commands);
        using var release = new ManualResetEventSlim();
        var output = new OutputRecorder { BeforeDelivery = _ => release.Wait(Eventually.Timeout) };
        var options = Options() with { InputRingSize = 64, OutputRingSize = 16 };

        using (var pipeline = new ExchangePipeline(PipelineWorkload.Fresh(), options, output))
        {
            pipeline.Start();
            int accepted = 0;
            // The stuck handler backs up the output ring, then the business logic, then the input ring.
            while (accepted < commands.Length && pipeline.TryPublish(commands[accepted], (accepted + 1) * 10, out _))
                accepted++;
            Assert.InRange(accepted, 64, 64 + 16 * 8 + 2);

            release.Set();
            PipelineWorkload.PublishAll(pipeline, commands.AsSpan(accepted), firstSequence: accepted + 1);
            output.WaitFor(commands.Length);
        }

        PipelineWorkload.AssertDeliveredInOrder(output.Deliveries, expected);
    }

    [Theory]
    [InlineData(WaitStrategyKind.Yielding)]
    [InlineData(WaitStrategyKind.Blocking)]
    public void OnEvents_NeverRunsAheadOfTheJournal(WaitStrategyKind wait)
    {
        using var directory = new TempDirectory();
        var commands = PipelineWorkload.Commands(2_000);
        var (_, expected) = PipelineWorkload.ApplyDirectly(commands);
        var output = new OutputRecorder();
        var options = Options(wait) with
        {
            Journal = new JournalOptions { Directory = directory.Path, Fsync = FsyncPolicy.EveryBatch },
        };

        using (var pipeline = new ExchangePipeline(PipelineWorkload.Fresh(), options, output))
        {
            output.DurableProbe = () => pipeline.DurableSequence;
            pipeline.Start();
            PipelineWorkload.PublishAll(pipeline, commands);
            output.WaitFor(commands.Length);
            Assert.Equal(commands.Length, pipeline.DurableSequence);
        }

        Assert.Empty(output.Violations);
        PipelineWorkload.AssertDeliveredInOrder(output.Deliveries, expected);
        // What was acknowledged is on disk: the journal holds every command, stamped with its sequence.
        var (sequences, ending) = ReadJournal(directory.Path);
        Assert.Equal(JournalReadStatus.End, ending);
        Assert.Equal(JournalFixture.Range(1, commands.Length), sequences);
    }

    [Fact]
    public void AnInjectedJournal_GetsEveryCommandBeforeItsOutput_AndStaysTheCallers()
    {
        var commands = PipelineWorkload.Commands(2_000);
        var (_, expected) = PipelineWorkload.ApplyDirectly(commands);
        var journal = new MemoryJournal(commands.Length + 1);
        var output = new OutputRecorder();
        var options = Options() with { JournalInstance = journal };

        using (var pipeline = new ExchangePipeline(PipelineWorkload.Fresh(), options, output))
        {
            // Each delivery must find its command already committed to the injected journal.
            output.DurableProbe = () => journal.CommittedCount;
            pipeline.Start();
            PipelineWorkload.PublishAll(pipeline, commands);
            output.WaitFor(commands.Length);
            Assert.Equal(commands.Length, pipeline.DurableSequence);
        }

        Assert.Empty(output.Violations);
        PipelineWorkload.AssertDeliveredInOrder(output.Deliveries, expected);
        Assert.Equal(commands.Length, journal.Committed.Length);
        for (int i = 0; i < commands.Length; i++)
        {
            Assert.Equal(i + 1, journal.Committed[i].Sequence);
            Assert.Equal(commands[i].Type, journal.Committed[i].Type);
            Assert.Equal(commands[i].AccountId, journal.Committed[i].AccountId);
        }

        Assert.InRange(journal.Commits, 1, commands.Length);
        // Not disposed by the pipeline: a caller's journal takes more appends.
        journal.Append(Command.DepositTo(1, 1) with { Sequence = commands.Length + 1 });
    }

    [Fact]
    public void AJournalThatFails_StopsTheOutputBeforeTheFailedBatch()
    {
        // Fewer commands than input slots: they all get in, whenever the journal stops.
        var commands = PipelineWorkload.Commands(200);
        var output = new OutputRecorder();
        var options = Options() with { JournalInstance = new MemoryJournal(100) };

        var pipeline = new ExchangePipeline(PipelineWorkload.Fresh(), options, output);
        pipeline.Start();
        for (int i = 0; i < commands.Length; i++)
            Assert.True(pipeline.TryPublish(commands[i], i, out _));
        Eventually.True(() => pipeline.Fault is not null, "the journal's fault");
        Eventually.Completes(pipeline.Dispose, "Dispose after a fault");

        Assert.Contains("full", pipeline.Fault!.Message);
        Assert.InRange(output.Count, 0, 100);
    }

    [Fact]
    public void BothJournals_AreRefused() =>
        Assert.Throws<ArgumentException>(() => new ExchangePipeline(PipelineWorkload.Fresh(),
            Options() with { Journal = new JournalOptions { Directory = "unused" }, JournalInstance = new MemoryJournal(1) },
            new OutputRecorder()));

    [Fact]
    public void ACommandWithThousandsOfEvents_IsDeliveredInOneCall_AcrossManyOutputSlots()
    {
        var commands = new List<Command>();
        for (int a = 1; a <= 11; a++)
            commands.Add(Command.DepositTo(a, 1_000_000 * Support.Market.Usd));
        commands.Add(Command.Mark(0, 120_000));
        // 2,500 one-lot asks from ten makers over 250 levels, then one taker that sweeps them all.
        for (int i = 0; i < 2_500; i++)
            commands.Add(Command.Limit(1 + i % 10, 0, Side.Sell, 120_001 + i % 250, 1));
        commands.Add(Command.Limit(11, 0, Side.Buy, 121_000, 2_500, TimeInForce.Ioc));
        var all = PipelineWorkload.Stamped(commands.ToArray());
        var (_, expected) = PipelineWorkload.ApplyDirectly(all);
        Assert.True(expected[^1].Length > 2_500, "the sweep causes more events than the output ring holds");
        var output = new OutputRecorder();

        using (var pipeline = new ExchangePipeline(PipelineWorkload.Fresh(), Options() with { OutputRingSize = 16 }, output))
        {
            pipeline.Start();
            PipelineWorkload.PublishAll(pipeline, all);
            output.WaitFor(all.Length);
        }

        PipelineWorkload.AssertDeliveredInOrder(output.Deliveries, expected);
    }

    [Fact]
    public void SameCommands_ThroughDifferentPipelines_GiveTheSameStateHashAndEventStream()
    {
        var commands = PipelineWorkload.Commands(4_000, seed: 99);
        ulong? hash = null;
        IReadOnlyList<Delivery>? first = null;
        foreach (var options in new[] { Options(), Options(WaitStrategyKind.Blocking, ProducerType.Single) with { InputRingSize = 32, OutputRingSize = 8 } })
        {
            var exchange = PipelineWorkload.Fresh();
            var output = new OutputRecorder();
            using (var pipeline = new ExchangePipeline(exchange, options, output))
            {
                pipeline.Start();
                PipelineWorkload.PublishAll(pipeline, commands);
                output.WaitFor(commands.Length);
            }

            hash ??= exchange.StateHash();
            Assert.Equal(hash, exchange.StateHash());
            if (first is null)
            {
                first = output.Deliveries;
                continue;
            }

            Assert.Equal(first.Count, output.Deliveries.Count);
            for (int i = 0; i < first.Count; i++)
                Assert.Equal(first[i].Events, output.Deliveries[i].Events);
        }
    }

    [Fact]
    public void Dispose_DeliversEveryPublishedCommand_ThenRefusesNewOnes()
    {
        var commands = PipelineWorkload.Commands(1_000);
        var (_, expected) = PipelineWorkload.ApplyDirectly(commands);
        var output = new OutputRecorder();
        var pipeline = new ExchangePipeline(PipelineWorkload.Fresh(), Options() with { InputRingSize = 1024 }, output);
        pipeline.Start();
        for (int i = 0; i < commands.Length; i++)
            Assert.True(pipeline.TryPublish(commands[i], (i + 1) * 10, out _));

        Eventually.Completes(pipeline.Dispose, "Dispose");

        PipelineWorkload.AssertDeliveredInOrder(output.Deliveries, expected);
        Assert.False(pipeline.TryPublish(commands[0], 0, out _));
        pipeline.Dispose();
    }

    [Fact]
    public void Snapshots_AreTakenEveryNCommands_KeepingTheNewestTwo()
    {
        using var directory = new TempDirectory();
        var commands = PipelineWorkload.Commands(500);
        var output = new OutputRecorder();
        var options = Options() with { SnapshotDirectory = directory.Path, SnapshotEveryCommands = 100 };

        using (var pipeline = new ExchangePipeline(PipelineWorkload.Fresh(), options, output))
        {
            pipeline.Start();
            for (int k = 0; k < 5; k++)
            {
                PipelineWorkload.PublishAll(pipeline, commands.AsSpan(k * 100, 100), firstSequence: k * 100 + 1);
                int snapshot = (k + 1) * 100;
                Eventually.True(() => pipeline.LastSnapshotSequence == snapshot, $"snapshot {snapshot}");
            }

            Assert.Null(pipeline.SnapshotFault);
        }

        var files = SnapshotStore.List(directory.Path);
        Assert.Equal([500L, 400L], files.Select(f => f.Sequence));
        Assert.Empty(Directory.GetFiles(directory.Path, "*.tmp"));
        foreach (var file in files)
        {
            var restored = PipelineWorkload.Fresh();
            SnapshotCodec.Read(File.ReadAllBytes(file.Path), restored);
            Assert.Equal(PipelineWorkload.ApplyDirectly(commands.AsSpan(0, (int)file.Sequence)).Exchange.StateHash(), restored.StateHash());
        }
    }

    [Fact]
    public void AnOutputHandlerThatThrows_StopsTheOutput_AndIsReportedAsTheFault()
    {
        var commands = PipelineWorkload.Commands(200);
        var output = new OutputRecorder
        {
            BeforeDelivery = sequence =>
            {
                if (sequence == 50)
                    throw new InvalidOperationException("handler bug");
            },
        };

        var pipeline = new ExchangePipeline(PipelineWorkload.Fresh(), Options(), output);
        pipeline.Start();
        PipelineWorkload.PublishAll(pipeline, commands);
        Eventually.True(() => pipeline.Fault is not null, "the fault");

        Assert.Equal("handler bug", pipeline.Fault!.Message);
        Eventually.Completes(pipeline.Dispose, "Dispose after a fault");
        Assert.Equal(49, output.Count);
    }

    [Fact]
    public void Constructor_WhenTheJournalIsAheadOfTheExchange_Throws()
    {
        using var directory = new TempDirectory();
        var journal = new JournalOptions { Directory = directory.Path, Fsync = FsyncPolicy.Never };
        using (var writer = new JournalWriter(journal))
        {
            writer.Append(Command.DepositTo(1, 1) with { Sequence = 1 });
            writer.Commit();
        }

        var error = Assert.Throws<InvalidOperationException>(
            () => new ExchangePipeline(PipelineWorkload.Fresh(), Options() with { Journal = journal }, new OutputRecorder()));
        Assert.Contains("recover", error.Message);
    }

    private static (List<long> Sequences, JournalReadStatus Ending) ReadJournal(string directory)
    {
        var sequences = new List<long>();
        using var reader = new JournalReader(directory);
        JournalReadStatus status;
        while ((status = reader.Read(out var command)) == JournalReadStatus.Record)
            sequences.Add(command.Sequence);
        return (sequences, status);
    }
}

[Collection(PipelineThreadsCollection.Name)]
public sealed class ParallelPipelineTests : ExchangePipelineTests
{
    protected override PipelineTopology Topology => PipelineTopology.Parallel;
}

[Collection(PipelineThreadsCollection.Name)]
public sealed class SingleThreadPipelineTests : ExchangePipelineTests
{
    protected override PipelineTopology Topology => PipelineTopology.SingleThread;
}

/// <summary>The single thread's blocking wait with a yield phase before it sleeps (the gateway's <c>pipeline.yieldMicros</c>):
/// the whole contract again, the blocking cases now mostly served while the thread yields.</summary>
[Collection(PipelineThreadsCollection.Name)]
public sealed class YieldBeforeSleepPipelineTests : ExchangePipelineTests
{
    protected override PipelineTopology Topology => PipelineTopology.SingleThread;

    protected override TimeSpan YieldBeforeSleep => TimeSpan.FromMicroseconds(200);

    [Fact]
    public void NegativeYieldBeforeSleep_IsRejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExchangePipeline(
            PipelineWorkload.Fresh(), new PipelineOptions { YieldBeforeSleep = TimeSpan.FromTicks(-1) }, new OutputRecorder()));
}

[Collection(PipelineThreadsCollection.Name)]
public sealed class InlineRunsPipelineTests : ExchangePipelineTests
{
    protected override PipelineTopology Topology => PipelineTopology.SingleThread;

    protected override bool InlineRuns => true;

    [Theory]
    [InlineData(WaitStrategyKind.Blocking)]
    [InlineData(WaitStrategyKind.Yielding)]
    public void RunPublished_RunsOnTheProducersThreads_OneAtATime_AndSignalledPublishesStillRun(WaitStrategyKind wait)
    {
        const int perThread = 1000;
        var commands = PipelineWorkload.Commands(4 * perThread);
        var bySequence = new Command[commands.Length + 1];
        var exchange = PipelineWorkload.Fresh();
        var output = new OutputRecorder();
        var options = new PipelineOptions
        {
            InputRingSize = 64, OutputRingSize = 16, WaitStrategy = wait, Topology = PipelineTopology.SingleThread, InlineRuns = true,
        };

        using (var pipeline = new ExchangePipeline(exchange, options, output))
        {
            Assert.True(pipeline.InlineRuns);
            pipeline.Start();
            var producers = new Action[4];
            for (int t = 0; t < producers.Length; t++)
            {
                int first = t * perThread;
                // Three producers run what they publish; the fourth publishes with a signal, for the pipeline thread.
                bool deferred = t < 3;
                producers[t] = () =>
                {
                    Thread.CurrentThread.Name = deferred ? "producer" : "signalling producer";
                    for (int i = first; i < first + perThread; i++)
                    {
                        long sequence;
                        while (!(deferred
                                   ? pipeline.TryPublishDeferred(commands[i], i, headroom: 0, out sequence)
                                   : pipeline.TryPublish(commands[i], i, out sequence)))
                        {
                            if (deferred) pipeline.RunPublished();
                            Thread.Yield();
                        }
                        bySequence[sequence] = commands[i];
                        if (deferred && i % 3 == 0) pipeline.RunPublished();
                    }
                    if (deferred) pipeline.RunPublished();
                };
            }

            Eventually.Completes(producers, "the producers");
            output.WaitFor(commands.Length);
        }

        var (direct, expected) = PipelineWorkload.ApplyDirectly(bySequence.AsSpan(1));
        Assert.Equal(commands.Length, output.Deliveries.Count);
        for (int i = 0; i < output.Deliveries.Count; i++)
        {
            Assert.Equal(i + 1, output.Deliveries[i].Sequence);
            Assert.Equal(expected[i], output.Deliveries[i].Events);
        }
        Assert.Equal(direct.StateHash(), exchange.StateHash());
        Assert.Equal(0, output.Overlaps);
        Assert.Contains("producer", output.Threads);
        Assert.DoesNotContain("signalling producer", output.Threads);
    }

    [Fact]
    public void TryPublish_WithoutInlineRuns_IsSignalledAsBefore_AndRunPublishedDoesNothing()
    {
        var output = new OutputRecorder();
        var options = new PipelineOptions { Topology = PipelineTopology.Parallel, InlineRuns = true };
        using (var pipeline = new ExchangePipeline(PipelineWorkload.Fresh(), options, output))
        {
            Assert.False(pipeline.InlineRuns);
            pipeline.Start();
            Assert.True(pipeline.TryPublishDeferred(Command.DepositTo(1, 1), 1, headroom: 0, out _));
            output.WaitFor(1);
        }
        Assert.DoesNotContain(Thread.CurrentThread.Name, output.Threads);
    }
}
