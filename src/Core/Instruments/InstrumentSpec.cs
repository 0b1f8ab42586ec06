namespace Exchange.Core.Instruments;

/// <summary>
/// Configuration of one linear perpetual, in the core's integer units (RULEBOOK section 1). Human units (tick size,
/// lot size, decimals) are converted to <see cref="TickValue"/> by whoever reads the configuration.
/// </summary>
public sealed record InstrumentSpec
{
    /// <summary>Largest notional (lots x ticks x tick_value) any accepted input may produce: 2^60 collateral units,
    /// so that sums over a few positions, fees and PnL stay inside <c>long</c>.</summary>
    public const long MaxNotional = 1L << 60;

    public required string Name { get; init; }
    /// <summary>Collateral units for one lot moving one tick: tick x lot x 10^decimals; a positive integer.</summary>
    public required long TickValue { get; init; }
    public required long ImrPpm { get; init; }
    public required long MmrPpm { get; init; }
    /// <summary>Maker fee; negative is a rebate.</summary>
    public required long MakerFeePpm { get; init; }
    public required long TakerFeePpm { get; init; }
    public required long LiquidationFeePpm { get; init; }
    /// <summary>Fat-finger band around the mark for limit prices and market orders.</summary>
    public required long BandPpm { get; init; }
    /// <summary>Band around the mark for liquidation orders.</summary>
    public required long LiquidationBandPpm { get; init; }
    /// <summary>Largest accepted price (ticks), order size and absolute position (lots).</summary>
    public long MaxPrice { get; init; } = 1L << 40;
    public long MaxOrderLots { get; init; } = 1L << 30;
    public long MaxPositionLots { get; init; } = 1L << 32;
    /// <summary>Circuit breaker band, ppm: a mark more than this fraction away from any of the last
    /// <see cref="BreakerWindow"/> marks halts new risk-increasing orders. 0 (the default) turns the breaker off.</summary>
    public long BreakerBandPpm { get; init; }
    /// <summary>Circuit breaker window W in mark updates (1..<see cref="MaxBreakerWindow"/>): the marks a new one is
    /// compared with, and the calm marks after a breach that end a halt.</summary>
    public int BreakerWindow { get; init; } = 10;

    /// <summary>The largest <see cref="BreakerWindow"/>: the window is preallocated and scanned per mark.</summary>
    public const int MaxBreakerWindow = 1000;

    /// <summary>Throws <see cref="ArgumentException"/> for a configuration the rulebook forbids.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name)) throw new ArgumentException("instrument needs a name");
        if (TickValue <= 0) throw new ArgumentException($"{Name}: tick_value must be a positive integer");
        if (!(ImrPpm > MmrPpm && MmrPpm > 0 && ImrPpm <= FixedPoint.Million))
            throw new ArgumentException($"{Name}: need 1e6 >= imr > mmr > 0");
        if (TakerFeePpm < Math.Abs(MakerFeePpm) || TakerFeePpm > FixedPoint.Million)
            throw new ArgumentException($"{Name}: need 1e6 >= taker >= |maker|");
        if (LiquidationFeePpm < 0 || LiquidationFeePpm > FixedPoint.Million)
            throw new ArgumentException($"{Name}: liquidation fee out of range");
        if (BandPpm <= 0 || BandPpm >= FixedPoint.Million || LiquidationBandPpm <= 0 || LiquidationBandPpm >= FixedPoint.Million)
            throw new ArgumentException($"{Name}: bands must be in (0, 1e6)");
        if (BreakerBandPpm < 0 || BreakerBandPpm >= FixedPoint.Million)
            throw new ArgumentException($"{Name}: breaker band must be in [0, 1e6), got {BreakerBandPpm}");
        if (BreakerWindow is < 1 or > MaxBreakerWindow)
            throw new ArgumentException($"{Name}: breaker window must be in 1..{MaxBreakerWindow}, got {BreakerWindow}");
        if (MaxPrice <= 0 || MaxOrderLots <= 0 || MaxPositionLots <= 0)
            throw new ArgumentException($"{Name}: bounds must be positive");
        // Each bound alone must fit before the band arithmetic (which rounds in long) may see it.
        if (MaxPrice > MaxNotional || MaxOrderLots > MaxNotional || MaxPositionLots > MaxNotional)
            throw new ArgumentException($"{Name}: a bound exceeds {MaxNotional}");
        // The band may carry a limit price up to BandHigh(MaxPrice); every notional must stay below MaxNotional.
        var topPrice = FixedPoint.FloorDiv((Int128)MaxPrice * (FixedPoint.Million + Math.Max(BandPpm, LiquidationBandPpm)), FixedPoint.Million);
        var worstLots = (Int128)MaxPositionLots + MaxOrderLots;
        // In two steps: lots (< 2^61) x price (< 2^62) fits Int128, but times a tick value up to 2^63 could wrap past
        // 2^127 and come out small (a spec with every bound large passed); checked first, the second product is < 2^123.
        var lotsAtTop = worstLots * topPrice;
        if (lotsAtTop > MaxNotional || lotsAtTop * TickValue > MaxNotional)
            throw new ArgumentException($"{Name}: max position x max price x tick_value exceeds {MaxNotional}");
    }
}
