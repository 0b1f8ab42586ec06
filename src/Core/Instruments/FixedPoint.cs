namespace Exchange.Core.Instruments;

/// <summary>
/// Exact integer arithmetic of RULEBOOK section 1. C#'s <c>/</c> truncates toward zero, which is neither floor nor
/// ceiling for negative numerators, so every rounding direction is spelled out here.
/// </summary>
public static class FixedPoint
{
    /// <summary>One million: the denominator of every ppm rate.</summary>
    public const long Million = 1_000_000;

    /// <summary>floor(a / b) for b &gt; 0.</summary>
    public static Int128 FloorDiv(Int128 a, Int128 b)
    {
        var q = a / b;
        return (a % b != 0 && a < 0) ? q - 1 : q;
    }

    /// <summary>ceil(a / b) for b &gt; 0.</summary>
    public static Int128 CeilDiv(Int128 a, Int128 b)
    {
        var q = a / b;
        return (a % b != 0 && a > 0) ? q + 1 : q;
    }

    /// <summary>The quote of |lots| at a price: lots x price x tick_value, in collateral units.</summary>
    public static long Quote(long lots, long price, long tickValue) => (long)((Int128)lots * price * tickValue);

    // Below this notional a product with a rate of at most 1e6 (< 2^20) stays under 2^62, so the rounding can run in
    // 64-bit arithmetic: 128-bit division is the dominant cost of margin sums across many instruments (load test).
    private const long FastNotional = 1L << 42;

    /// <summary>ceil(notional x ppm / 1e6) for a non-negative notional: margin requirements and fees round up.</summary>
    public static long CeilPpm(Int128 notional, long ppm)
    {
        if (notional < FastNotional && (ulong)ppm <= Million)
            return ((long)notional * ppm + (Million - 1)) / Million;
        return (long)CeilDiv(notional * ppm, Million);
    }

    /// <summary>floor(notional x ppm / 1e6) for a non-negative notional: rebates round down.</summary>
    public static long FloorPpm(Int128 notional, long ppm)
    {
        if (notional < FastNotional && (ulong)ppm <= Million)
            return (long)notional * ppm / Million;
        return (long)FloorDiv(notional * ppm, Million);
    }

    /// <summary>Upper price of the band m x (1 + ppm/1e6), rounded down to a tick (a buy's limit).</summary>
    public static long BandHigh(long mark, long ppm)
    {
        // Every order and amend checks its band: with 0 <= m < 2^42 and 0 <= ppm <= 1e6 the product is below 2^63 and
        // non-negative, so 64-bit truncation is the floor (FixedPointTests checks the bounds against the 128-bit path).
        if ((ulong)mark < FastNotional && (ulong)ppm <= Million)
            return mark * (Million + ppm) / Million;
        return (long)FloorDiv((Int128)mark * (Million + ppm), Million);
    }

    /// <summary>Lower price of the band m x (1 - ppm/1e6), rounded up to a tick (a sell's limit).</summary>
    public static long BandLow(long mark, long ppm)
    {
        if ((ulong)mark < FastNotional && (ulong)ppm <= Million)
            return (mark * (Million - ppm) + (Million - 1)) / Million;
        return (long)CeilDiv((Int128)mark * (Million - ppm), Million);
    }

    /// <summary>Sign of a value as -1, 0 or 1.</summary>
    public static long Sign(long x) => x > 0 ? 1 : x < 0 ? -1 : 0;
}
