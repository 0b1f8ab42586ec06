namespace Exchange.Core.Pipeline;

/// <summary>How an <see cref="ExchangePipeline"/> spreads its stages over threads.</summary>
public enum PipelineTopology
{
    /// <summary>
    /// LMAX's layout: the journaler and the business-logic processor read the input ring in parallel, events go
    /// through the output ring to an output thread. Three threads (two without a journal), each on its own core: the
    /// highest throughput, and the lowest latency when every thread has a core to itself.
    /// </summary>
    Parallel,

    /// <summary>
    /// One thread per batch of the input ring: journal and commit the batch, then apply each command and hand its
    /// events to the output handler. No hand-off after the input ring, so no thread waits for another to be
    /// scheduled: the lower latency on a machine with fewer cores than the parallel layout's threads plus the
    /// producers (measured in docs/benchmarks.md). Throughput is the sum of the stages' costs per command.
    /// </summary>
    SingleThread,
}
