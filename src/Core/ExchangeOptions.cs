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
    /// <summary>Largest collateral the exchange may hold: deposits net of withdrawals (accounts and insurance), and
    /// also the largest balance a deposit may leave on one account or the insurance fund. Keeps every balance and
    /// ledger inside <c>long</c> (RULEBOOK section 1); withdrawals free room. A deposit past it is INVALID_AMOUNT.</summary>
    public long MaxTotalHeld { get; init; } = MaxHeldLimit;
    /// <summary>Decimals d of the collateral (one money unit is 10^-d of it). The core counts units and never reads
    /// it, except to refuse a configuration whose <see cref="MaxTotalHeld"/> holds too little collateral.</summary>
    public int CollateralDecimals { get; init; } = 6;
    /// <summary>Largest |funding rate| accepted, ppm.</summary>
    public long MaxFundingRatePpm { get; init; } = 100_000;

    /// <summary>Outcomes the core keeps per token space (docs/protocol.md section 7): a client can resend its last this
    /// many messages and get their original outcomes; older tokens are STALE_TOKEN. Configuration key
    /// <c>tokenWindow</c>.</summary>
    public int TokenWindow { get; init; } = 64;
    /// <summary>Token spaces (users that send tokens) the core keeps; a tokened command from one more is
    /// ACCOUNT_LIMIT. Memory grows with the spaces seen, up to this many times <see cref="TokenWindow"/> outcomes of 24
    /// bytes. Configuration key <c>maxTokenSpaces</c>.</summary>
    public int MaxTokenSpaces { get; init; } = 16_384;
    /// <summary>Token spaces allocated up front (at most <see cref="MaxTokenSpaces"/>); more grow the table out of line
    /// (an allocating path), so size it for the steady state: the gateway uses its number of users.</summary>
    public int InitialTokenSpaces { get; init; } = 16;

    /// <summary>The largest <see cref="TokenWindow"/>.</summary>
    public const int MaxTokenWindow = 4096;
    /// <summary>The largest <see cref="MaxTokenSpaces"/>.</summary>
    public const int MaxTokenSpacesLimit = 1 << 20;
    /// <summary>The most outcomes all windows together may hold (2^24, 384 MiB).</summary>
    public const long MaxTokenOutcomes = 1L << 24;

    /// <summary>The largest <see cref="MaxTotalHeld"/>: 2^62 units, so balances, ledgers and their sums keep headroom in
    /// <c>long</c>.</summary>
    public const long MaxHeldLimit = 1L << 62;

    /// <summary>The least collateral, in whole collateral tokens, <see cref="MaxTotalHeld"/> must allow (10^9): below
    /// it a venue would soon refuse every deposit. 2^62 units allow it up to 9 decimals.</summary>
    public const long MinHeldTokens = 1_000_000_000;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of its range.</summary>
    public void Validate()
    {
        if (AccountCapacity <= 0) throw new ArgumentException($"AccountCapacity must be positive, got {AccountCapacity}");
        if (MaxAccountId <= 0) throw new ArgumentException($"MaxAccountId must be positive, got {MaxAccountId}");
        if (OrderCapacity <= 0) throw new ArgumentException($"OrderCapacity must be positive, got {OrderCapacity}");
        if (LevelCapacity <= 0) throw new ArgumentException($"LevelCapacity must be positive, got {LevelCapacity}");
        if (MaxInstruments is <= 0 or > 64) throw new ArgumentException($"MaxInstruments must be in 1..64, got {MaxInstruments}");
        if (MaxOpenOrdersPerAccount <= 0)
            throw new ArgumentException($"MaxOpenOrdersPerAccount must be positive, got {MaxOpenOrdersPerAccount}");
        if (MaxFundingRatePpm is < 0 or > 1_000_000)
            throw new ArgumentException($"MaxFundingRatePpm must be in 0..1000000, got {MaxFundingRatePpm}");
        if (MaxTotalHeld <= 0 || MaxTotalHeld > MaxHeldLimit)
            throw new ArgumentException($"MaxTotalHeld must be in 1..2^62 ({MaxHeldLimit}), got {MaxTotalHeld}");
        if (TokenWindow is < 1 or > MaxTokenWindow)
            throw new ArgumentException($"TokenWindow must be in 1..{MaxTokenWindow}, got {TokenWindow}");
        if (MaxTokenSpaces is < 1 or > MaxTokenSpacesLimit)
            throw new ArgumentException($"MaxTokenSpaces must be in 1..{MaxTokenSpacesLimit}, got {MaxTokenSpaces}");
        if (InitialTokenSpaces < 1)
            throw new ArgumentException($"InitialTokenSpaces must be positive, got {InitialTokenSpaces}");
        if ((long)TokenWindow * MaxTokenSpaces > MaxTokenOutcomes)
            throw new ArgumentException(
                $"TokenWindow x MaxTokenSpaces must be at most {MaxTokenOutcomes}, got {TokenWindow} x {MaxTokenSpaces}");
        if (CollateralDecimals is < 0 or > 18)
            throw new ArgumentException($"CollateralDecimals must be in 0..18, got {CollateralDecimals}");
        var tokens = MaxTotalHeld / Pow10(CollateralDecimals);
        if (tokens < MinHeldTokens)
            throw new ArgumentException(
                $"with {CollateralDecimals} decimals the exchange could hold at most {tokens} tokens of collateral " +
                $"(MaxTotalHeld {MaxTotalHeld} units), fewer than {MinHeldTokens}: use fewer decimals (at most " +
                $"{MaxDecimals(MaxTotalHeld)}); the exchange's unit need not be the collateral token's smallest unit");
    }

    private static long Pow10(int n)
    {
        long p = 1;
        for (var k = 0; k < n; k++) p *= 10;
        return p;
    }

    private static int MaxDecimals(long held)
    {
        var d = 0;
        while (d < 18 && held / Pow10(d + 1) >= MinHeldTokens) d++;
        return d;
    }
}
