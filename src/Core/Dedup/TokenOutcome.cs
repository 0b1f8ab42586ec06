using Exchange.Core.Events;

namespace Exchange.Core.Dedup;

/// <summary>What one applied token did: enough for the gateway to find, or rebuild, its original outcome message.</summary>
public struct TokenOutcome
{
    /// <summary>The command's sequence: the gateway finds its outcome message in the user's stream by it.</summary>
    public long Sequence;
    /// <summary>The order id the command assigned or acted on (0 when none).</summary>
    public long OrderId;
    public uint Token;
    /// <summary>The reject code, or <see cref="RejectCode.None"/> when the command was executed.</summary>
    public RejectCode Code;
}
