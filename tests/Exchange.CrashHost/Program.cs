using Exchange.Core.Journal;
using Exchange.Core.Pipeline;
using Exchange.CrashHost;

// usage: Exchange.CrashHost <dir> <seed> <count> [parallel|single]
// Recovers from <dir>, then publishes the rest of the seeded stream (commands LastSequence+1..count) through the
// journaled pipeline, printing each acknowledged sequence on its own line. Exit 0 after the last; the tests usually
// SIGKILL it long before.
if (args.Length is < 3 or > 4 || !int.TryParse(args[1], out int seed) || !int.TryParse(args[2], out int count)
    || (args.Length == 4 && args[3] is not ("parallel" or "single")))
{
    Console.Error.WriteLine("usage: Exchange.CrashHost <dir> <seed> <count> [parallel|single]");
    return 2;
}

var topology = args.Length == 4 && args[3] == "single" ? PipelineTopology.SingleThread : PipelineTopology.Parallel;
var options = CrashHostOptions.For(args[0], topology);
var recovered = Recovery.Recover(options, CrashWorkload.CreateExchange);
Console.Error.WriteLine(
    $"recovered at {recovered.LastSequence} (snapshot {recovered.Snapshot?.Sequence ?? 0}, replayed {recovered.ReplayedCommands}, torn tail {recovered.TornTail is not null})");

var commands = CrashWorkload.Generate(seed, count);
var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false };
using (var pipeline = new ExchangePipeline(recovered.Exchange, options, new AckWriter(stdout)))
{
    pipeline.Start();
    var spin = new SpinWait();
    for (long next = recovered.LastSequence + 1; next <= count;)
    {
        if (pipeline.TryPublish(commands[next - 1], correlation: next, out long sequence))
        {
            if (sequence != next)
            {
                Console.Error.WriteLine($"error: command {next} got sequence {sequence}");
                return 1;
            }

            next++;
            spin.Reset();
        }
        else if (pipeline.Fault is { } fault)
        {
            Console.Error.WriteLine($"error: pipeline fault: {fault}");
            return 1;
        }
        else
        {
            spin.SpinOnce();
        }
    }
}

Console.Error.WriteLine("done");
return 0;
