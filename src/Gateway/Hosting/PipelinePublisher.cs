using Exchange.Core.Commands;
using Exchange.Core.Pipeline;
using CoreExchange = Exchange.Core.Exchange;

using Exchange.Gateway.Publishing;

namespace Exchange.Gateway.Hosting;

/// <summary>
/// The real exchange: <see cref="ExchangePipeline"/> (input ring, journal, business-logic thread, output gated on
/// durability), with the gateway's router as its output handler.
/// </summary>
internal sealed class PipelinePublisher(CoreExchange exchange, PipelineOptions options, IOutputHandler output) : ICommandPublisher
{
    private readonly ExchangePipeline _pipeline = new(exchange, options, output);

    /// <summary>Why the pipeline stopped, if a stage failed (journal I/O, a handler bug).</summary>
    public Exception? Fault => _pipeline.Fault;

    /// <summary>The pipeline, for its progress (the metrics read its sequences).</summary>
    public ExchangePipeline Pipeline => _pipeline;

    public void Start() => _pipeline.Start();

    // The input ring's last eighth is kept for the gateway's own rejects (docs/protocol.md section 9).
    private readonly int _reserve = Math.Max(1, options.InputRingSize / 8);

    public bool TryPublish(in Command command, long correlation, bool reserve, out long sequence) =>
        _pipeline.TryPublish(in command, correlation, reserve ? 0 : _reserve, out sequence);

    public bool TryPublishDeferred(in Command command, long correlation, bool reserve, out long sequence) =>
        _pipeline.TryPublishDeferred(in command, correlation, reserve ? 0 : _reserve, out sequence);

    public void RunPublished() => _pipeline.RunPublished();

    public void Dispose() => _pipeline.Dispose();
}
