namespace Exchange.Core;

/// <summary>Who absorbs a bankrupt account's loss after insurance (RULEBOOK section 8).</summary>
public enum LossPolicy : byte
{
    /// <summary>Auto-deleverage the opposite side at the bankruptcy price (the default).</summary>
    Adl = 0,
    /// <summary>Close against the ADL queue at mark, then haircut profitable accounts.</summary>
    Socialize = 1,
}

/// <summary>Exchange-wide settings and preallocated capacities. Capacities grow when exceeded (an out-of-line,
/// allocating path), so size them for the steady state.</summary>
public sealed record ExchangeOptions
{
    public LossPolicy Policy { get; init; } = LossPolicy.Adl;
    /// <summary>Initial account capacity (ids 1..N).</summary>
    public int AccountCapacity { get; init; } = 1024;
    /// <summary>Largest account id accepted.</summary>
    public int MaxAccountId { get; init; } = 16_777_215;
    /// <summary>Initial capacity of the order store (open orders across all books).</summary>
    public int OrderCapacity { get; init; } = 65_536;
    /// <summary>Initial price levels per book side.</summary>
    public int LevelCapacity { get; init; } = 1024;
    /// <summary>At most this many instruments (positions are stored densely per account).</summary>
    public int MaxInstruments { get; init; } = 16;
    /// <summary>Largest number of resting orders per account.</summary>
    public int MaxOpenOrdersPerAccount { get; init; } = 1000;
    /// <summary>Largest total of all deposits ever accepted (accounts and insurance): keeps every balance and ledger
    /// inside <c>long</c> (RULEBOOK section 1). A deposit past it is rejected INVALID_AMOUNT.</summary>
    public long MaxTotalDeposits { get; init; } = 1L << 62;
    /// <summary>Largest |funding rate| accepted, ppm.</summary>
    public long MaxFundingRatePpm { get; init; } = 100_000;
}
