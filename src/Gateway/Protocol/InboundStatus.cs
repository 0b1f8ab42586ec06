namespace Exchange.Gateway.Protocol;

/// <summary>Result of <see cref="InboundDecoder.Decode"/>.</summary>
internal enum InboundStatus : byte
{
    Ok = 0,
    /// <summary>Empty message or a type letter not in docs/protocol.md section 3.</summary>
    UnknownType = 1,
    /// <summary>A known type with the wrong length.</summary>
    BadLength = 2,
}
