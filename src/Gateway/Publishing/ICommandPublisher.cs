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

    /// <summary>Thread-safe. False when the exchange's input is full. With <paramref name="reserve"/> false (every
    /// message the gateway passes on) it is full already when only its reserve is left: the reserve is for the gateway's
    /// own rejects (<paramref name="reserve"/> true), which are journaled commands too, so that a message refused because
    /// the exchange is saturated can still be answered RATE_LIMITED.</summary>
    bool TryPublish(in Command command, long correlation, bool reserve, out long sequence);

    /// <summary>As <see cref="TryPublish"/>, but the exchange may wait for <see cref="RunPublished"/> to run it (the
    /// pipeline's inline runs): the caller calls that once it has published what it had, holding no lock.</summary>
    bool TryPublishDeferred(in Command command, long correlation, bool reserve, out long sequence) =>
        TryPublish(in command, correlation, reserve, out sequence);

    /// <summary>Runs what <see cref="TryPublishDeferred"/> published, on the calling thread if no other thread is
    /// running the exchange (which then takes it). Nothing for an exchange that runs on threads of its own.</summary>
    void RunPublished()
    {
    }
}
