namespace Exchange.LoadTest;

/// <summary>What a generated command does, for the per-kind figures of the business-logic mode.</summary>
internal enum CommandKind : byte
{
    /// <summary>A good-till-cancel limit order (rests, or trades and rests the remainder).</summary>
    Gtc = 0,
    /// <summary>An immediate-or-cancel limit order priced through the book.</summary>
    Ioc = 1,
    /// <summary>A cancel of a resting order.</summary>
    Cancel = 2,
    /// <summary>An amend of a resting order's price (exchange-core's "move"): it loses priority and may trade.</summary>
    Move = 3,
    /// <summary>A mark-price update (margin mix): may trigger liquidations.</summary>
    Mark = 4,
    /// <summary>A deposit topping an account up (margin mix).</summary>
    Deposit = 5,
}
