using Exchange.Core.Commands;
using Exchange.Gateway.MarketData;
using Exchange.Gateway.Streams;

namespace Exchange.Gateway.Routing;

/// <summary>What the gateway remembers about a published command until the exchange reports it.</summary>
internal struct PendingCommand
{
    /// <summary>The request as published: its timestamp and the fields a summary echoes (a cancel-all's account and
    /// instrument, a funding rate). What the exchange did is read from the events only.</summary>
    public Command Command;
    public UserStream? Sender;
    public uint Token;
    /// <summary>The inbound message type letter.</summary>
    public byte MessageType;
    /// <summary>When it was handed to the exchange (a Stopwatch reading): the start of its latency metric.</summary>
    public long PublishedAt;
    /// <summary>A market-data late joiner waiting for this book query's answer; null for anything else.</summary>
    public BookRequest? Book;
}
