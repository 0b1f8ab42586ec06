namespace Exchange.Client.Protocol;

/// <summary>What <see cref="FrameDecoder"/> found at the start of a buffer.</summary>
public enum FrameStatus : byte
{
    /// <summary>A whole packet: type byte and payload.</summary>
    Complete = 0,
    /// <summary>Not enough bytes yet.</summary>
    Incomplete = 1,
    /// <summary>A length field of 0: no type byte, a protocol error.</summary>
    Empty = 2,
    /// <summary>A length field above the maximum: a protocol error, seen from the two length bytes alone.</summary>
    TooLong = 3,
}
