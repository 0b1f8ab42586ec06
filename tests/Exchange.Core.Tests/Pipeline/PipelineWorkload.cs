using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Pipeline;
using Exchange.CrashHost;
using Exchange.Testing;

namespace Exchange.Core.Tests.Pipeline;

/// <summary>The pipeline tests' commands (the crash host's seeded workload) and their expected outcome.</summary>
internal static class PipelineWorkload
{
    /// <summary>The workload, each command stamped by its producer (as the gateway stamps the time a message arrived):
    /// the pipeline keeps that timestamp, so applying the commands directly gives the same events.</summary>
    public static Command[] Commands(int count, int seed = 11) => Stamped(CrashWorkload.Generate(seed, count));

    /// <summary>Stamps each command with a producer's timestamp (distinct, nonzero).</summary>
    public static Command[] Stamped(Command[] commands)
    {
        for (int i = 0; i < commands.Length; i++) commands[i].Timestamp = 1_700_000_000_000_000_000 + i;
        return commands;
    }

    public static Exchange Fresh() => CrashWorkload.CreateExchange();

    /// <summary>Applies <paramref name="commands"/> as sequences 1..n to a fresh exchange, keeping each one's events.</summary>
    public static (Exchange Exchange, Event[][] Events) ApplyDirectly(ReadOnlySpan<Command> commands)
    {
        var exchange = Fresh();
        var events = new Event[commands.Length][];
        for (int i = 0; i < commands.Length; i++)
        {
            var command = commands[i];
            command.Sequence = i + 1;
            events[i] = exchange.Apply(in command).ToArray();
        }

        return (exchange, events);
    }

    /// <summary>Publishes every command from this thread, retrying while the ring is full (bounded), with correlation = index * 10.</summary>
    public static void PublishAll(ExchangePipeline pipeline, ReadOnlySpan<Command> commands, long firstSequence = 1)
    {
        for (int i = 0; i < commands.Length; i++)
        {
            long sequence = Publish(pipeline, commands[i], (firstSequence + i) * 10);
            Assert.Equal(firstSequence + i, sequence);
        }
    }

    /// <summary>Publishes one command, retrying while the ring is full (bounded). With inline runs the command is
    /// published deferred and this thread then runs the pipeline, unless another thread is running it.</summary>
    public static long Publish(ExchangePipeline pipeline, in Command command, long correlation)
    {
        long deadline = Environment.TickCount64 + (long)Eventually.Timeout.TotalMilliseconds;
        long sequence;
        while (!(pipeline.InlineRuns
                   ? pipeline.TryPublishDeferred(command, correlation, headroom: 0, out sequence)
                   : pipeline.TryPublish(command, correlation, out sequence)))
        {
            if (Environment.TickCount64 > deadline)
                Assert.Fail($"The input ring stayed full for {Eventually.Timeout.TotalSeconds} s (fault: {pipeline.Fault})");
            pipeline.RunPublished();
            Thread.Yield();
        }

        pipeline.RunPublished();
        return sequence;
    }

    /// <summary>Every delivery is the next sequence, with the expected correlation and exactly the direct events.</summary>
    public static void AssertDeliveredInOrder(IReadOnlyList<Delivery> deliveries, Event[][] expected, long firstSequence = 1)
    {
        Assert.Equal(expected.Length, deliveries.Count);
        for (int i = 0; i < deliveries.Count; i++)
        {
            var delivery = deliveries[i];
            Assert.Equal(firstSequence + i, delivery.Sequence);
            Assert.Equal(delivery.Sequence * 10, delivery.Correlation);
            Assert.Equal(expected[i], delivery.Events);
        }
    }

    public static void AssertInvariants(Exchange exchange) => InvariantChecker.AssertHolds(exchange);
}
