namespace Exchange.Core.Accounts;

/// <summary>
/// The fields of one account that a fill, an order's lots and an account report read and write, side by side so an
/// account a command touches costs one or two cache lines here rather than one per field in separate arrays (a maker
/// picked from the book is a random account, cold in cache). Owned by <see cref="AccountStore"/>.
/// </summary>
internal struct AccountRecord
{
    public long Balance;
    /// <summary>Instruments with a position or resting orders (bit i = instrument i).</summary>
    public ulong Active;
    /// <summary>Instruments with a non-zero position.</summary>
    public ulong Held;
    /// <summary>The account's open orders, oldest first: head and tail handles (-1 when none) and how many.</summary>
    public int OrderHead, OrderTail, OrderCount;
    public bool Exists;
}
