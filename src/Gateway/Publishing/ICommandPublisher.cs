using Exchange.Core.Commands;

namespace Exchange.Gateway.Publishing;

/// <summary>
/// The seam between the gateway and whatever runs the exchange: publishes a command without ever blocking. The exchange
/// reports each command's events, in sequence order, to the <see cref="Routing.OutboundRouter"/> it was built with.
/// Implemented by Hosting's PipelinePublisher (the pipeline: ring, journal, business-logic thread, output thread), and
/// by test doubles.
/// </summary>
internal interface ICommandPublisher : IDisposable
{
    void Start();

    /// <summary>Thread-safe. False when the exchange's input is full: the caller answers RATE_LIMITED.</summary>
    bool TryPublish(in Command command, long correlation, out long sequence);
}
