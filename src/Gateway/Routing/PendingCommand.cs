using Exchange.Gateway.MarketData;
using Exchange.Gateway.Streams;

namespace Exchange.Gateway.Routing;

/// <summary>
/// What the gateway remembers about a published command until the exchange reports it: whom to answer and how. Never
/// the command itself: what the exchange did, and every field a message echoes, is read from the events.
/// </summary>
internal struct PendingCommand
{
    public UserStream? Sender;
    public uint Token;
    /// <summary>The inbound message type letter.</summary>
    public byte MessageType;
    /// <summary>When it was handed to the exchange (a Stopwatch reading): the start of its latency metric.</summary>
    public long PublishedAt;
    /// <summary>A market-data late joiner waiting for this book query's answer; null for anything else.</summary>
    public BookRequest? Book;
}
