namespace Exchange.Core.Events;

/// <summary>The rulebook's spelling of each reject code (UPPER_SNAKE), for the scenario runner and logs.</summary>
public static class RejectCodeNames
{
    private static readonly string[] Names =
    [
        "NONE", "UNKNOWN_ACCOUNT", "UNKNOWN_INSTRUMENT", "UNKNOWN_ORDER", "INVALID_PRICE", "INVALID_QUANTITY",
        "PRICE_OUT_OF_BAND", "NO_MARK_PRICE", "INSUFFICIENT_MARGIN", "INSUFFICIENT_BALANCE", "REDUCE_ONLY_INVALID",
        "POST_ONLY_WOULD_TRADE", "FOK_NOT_FILLABLE", "DUPLICATE_CLIENT_ORDER_ID", "TOO_MANY_OPEN_ORDERS",
        "POSITION_LIMIT", "SELF_TRADE", "NOT_AUTHORIZED", "MALFORMED", "RATE_LIMITED", "INVALID_TIME_IN_FORCE",
        "INVALID_AMOUNT", "ACCOUNT_LIMIT", "INSTRUMENT_HALTED", "INSTRUMENT_NOT_HALTED", "STALE_TOKEN",
    ];

    /// <summary>The stable name of a code, e.g. <c>INSUFFICIENT_MARGIN</c>.</summary>
    public static string Name(RejectCode code) => (int)code < Names.Length ? Names[(int)code] : "UNKNOWN";
}
