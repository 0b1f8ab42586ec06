using Exchange.Core.Pipeline;

namespace Exchange.Core.Tests.Pipeline;

[Collection(PipelineThreadsCollection.Name)]
public class ThreadAffinityTests
{
    [Fact]
    public void PinnedCpus_EachPipelineThreadRunsOnlyOnItsCpu_AndEveryCommandIsDelivered()
    {
        if (!OperatingSystem.IsLinux()) return; // the check reads /proc
        var last = Environment.ProcessorCount - 1;
        var commands = PipelineWorkload.Commands(500);
        var (_, expected) = PipelineWorkload.ApplyDirectly(commands);
        var output = new OutputRecorder();
        var options = new PipelineOptions { InputRingSize = 256, OutputRingSize = 64, PinnedCpus = [last, 0] };

        using (var pipeline = new ExchangePipeline(PipelineWorkload.Fresh(), options, output))
        {
            pipeline.Start();
            PipelineWorkload.PublishAll(pipeline, commands);
            output.WaitFor(commands.Length);
            Assert.Equal($"{last}", AllowedCpus("exchange-logic"));
            Assert.Equal("0", AllowedCpus("exchange-output"));
        }

        PipelineWorkload.AssertDeliveredInOrder(output.Deliveries, expected);
    }

    [Fact]
    public void PinnedCpus_NotACpuOfThisMachine_IsRefused()
    {
        var options = new PipelineOptions { PinnedCpus = [Environment.ProcessorCount] };
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExchangePipeline(PipelineWorkload.Fresh(), options, new OutputRecorder()));
    }

    /// <summary>The CPUs the scheduler may run this process's thread called <paramref name="name"/> on, from /proc.</summary>
    private static string AllowedCpus(string name)
    {
        foreach (var task in Directory.GetDirectories("/proc/self/task"))
        {
            // The kernel keeps the first 15 bytes of a thread's name.
            if (File.ReadAllText(Path.Combine(task, "comm")).Trim() != name[..Math.Min(15, name.Length)]) continue;
            foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                if (line.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal))
                    return line["Cpus_allowed_list:".Length..].Trim();
        }
        throw new InvalidOperationException($"no thread named {name}");
    }
}
