using Exchange.Core.Commands;
using Exchange.Gateway.Streams;

namespace Exchange.Gateway.Routing;

/// <summary>What the gateway remembers about a published command until the exchange reports it.</summary>
internal struct PendingCommand
{
    /// <summary>The command as published (the pipeline stamps its sequence; the replica needs the same command).</summary>
    public Command Command;
    public UserStream? Sender;
    public uint Token;
    /// <summary>The inbound message type letter.</summary>
    public byte MessageType;
    /// <summary>When it was handed to the exchange (a Stopwatch reading): the start of its latency metric.</summary>
    public long PublishedAt;
}
