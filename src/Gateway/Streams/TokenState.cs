namespace Exchange.Gateway.Streams;

/// <summary>Where a client order token stands for its user (docs/protocol.md section 7).</summary>
internal enum TokenState : byte
{
    /// <summary>Above the highest seen: process it.</summary>
    New = 0,
    /// <summary>Processed: its outcome message is in the log.</summary>
    Known = 1,
    /// <summary>Published, outcome not yet reported.</summary>
    InFlight = 2,
    /// <summary>At or below the highest seen but never processed.</summary>
    Unknown = 3,
}
