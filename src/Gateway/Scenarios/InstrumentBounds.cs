using Exchange.Core.Instruments;

namespace Exchange.Gateway.Scenarios;

/// <summary>
/// Default entry bounds for a scenario instrument. The core requires (max position + max order) x the band's top
/// price x tick_value to stay within 2^60 units, so its fixed defaults fit only tiny tick values. A bound the file
/// does not give is derived from that budget instead: with B = floor(2^60 / tick_value), max price = min(2^40,
/// floor(sqrt(B) / 2)) ticks; the lots left, L = floor(B / top price), go one fifth to max order (at most 2^30) and
/// the rest to max position (at most 2^32). Given bounds are kept as written and checked by the core.
/// </summary>
internal static class InstrumentBounds
{
    public static InstrumentSpec Apply(InstrumentSpec spec, long? maxPrice, long? maxOrder, long? maxPosition)
    {
        var budget = InstrumentSpec.MaxNotional / spec.TickValue;
        var price = maxPrice ?? Math.Max(1, Math.Min(1L << 40, Sqrt(budget) / 2));
        var top = FixedPoint.BandHigh(price, Math.Max(spec.BandPpm, spec.LiquidationBandPpm));
        var lots = Math.Max(2, budget / Math.Max(top, 1));
        var order = maxOrder ?? Math.Max(1, Math.Min(1L << 30, (maxPosition is { } p ? lots - p : lots / 5)));
        var position = maxPosition ?? Math.Max(1, Math.Min(1L << 32, lots - order));
        return spec with { MaxPrice = price, MaxOrderLots = order, MaxPositionLots = position };
    }

    /// <summary>floor(sqrt(n)) for n &gt;= 0, exactly.</summary>
    private static long Sqrt(long n)
    {
        if (n < 2) return n;
        var x = (long)Math.Sqrt(n);
        // The double estimate can be off by one either way near 2^60; correct it with exact integer checks.
        while ((Int128)x * x > n) x--;
        while ((Int128)(x + 1) * (x + 1) <= n) x++;
        return x;
    }
}
