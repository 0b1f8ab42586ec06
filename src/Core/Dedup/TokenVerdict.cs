namespace Exchange.Core.Dedup;

/// <summary>What a command's token is to its token space (docs/protocol.md section 7).</summary>
public enum TokenVerdict : byte
{
    /// <summary>After the highest token applied: execute it.</summary>
    New = 0,
    /// <summary>Applied before and its outcome is in the window: answer with that outcome, execute nothing.</summary>
    Duplicate = 1,
    /// <summary>At or below the highest, newer than anything the window let go, and never applied: it was skipped.
    /// Rejected DUPLICATE_CLIENT_ORDER_ID, which becomes its outcome.</summary>
    Skipped = 2,
    /// <summary>At or below a token the window let go: its outcome is no longer known. Rejected STALE_TOKEN.</summary>
    Stale = 3,
}
