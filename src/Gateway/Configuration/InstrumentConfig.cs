using Exchange.Core.Instruments;

namespace Exchange.Gateway.Configuration;

/// <summary>One perpetual in human units (tick and lot sizes as decimals); rates in ppm, bounds in ticks and lots.</summary>
public sealed record InstrumentConfig
{
    public required string Name { get; init; }
    public required decimal Tick { get; init; }
    public required decimal Lot { get; init; }
    public required long ImrPpm { get; init; }
    public required long MmrPpm { get; init; }
    public required long MakerFeePpm { get; init; }
    public required long TakerFeePpm { get; init; }
    public required long LiquidationFeePpm { get; init; }
    public required long BandPpm { get; init; }
    public required long LiquidationBandPpm { get; init; }
    public required long MaxPrice { get; init; }
    public required long MaxOrderLots { get; init; }
    public required long MaxPositionLots { get; init; }
    /// <summary>Circuit breaker band, ppm; 0 (the default) is off (docs/rulebook-notes.md, "Circuit breakers").</summary>
    public long BreakerBandPpm { get; init; }
    /// <summary>Circuit breaker window, in mark updates (1..1000).</summary>
    public int BreakerWindow { get; init; } = 10;

    /// <summary>tick x lot x 10^decimals, which must be a positive integer (RULEBOOK section 1).</summary>
    public long TickValue(int decimals)
    {
        var v = Tick * Lot * Pow10(decimals);
        if (Tick <= 0 || Lot <= 0 || v <= 0 || v != decimal.Truncate(v) || v > long.MaxValue)
            throw new ArgumentException($"tick x lot x 10^{decimals} = {v} is not a positive integer");
        return (long)v;
    }

    public InstrumentSpec ToSpec(int decimals) => new()
    {
        Name = Name,
        TickValue = TickValue(decimals),
        ImrPpm = ImrPpm,
        MmrPpm = MmrPpm,
        MakerFeePpm = MakerFeePpm,
        TakerFeePpm = TakerFeePpm,
        LiquidationFeePpm = LiquidationFeePpm,
        BandPpm = BandPpm,
        LiquidationBandPpm = LiquidationBandPpm,
        MaxPrice = MaxPrice,
        MaxOrderLots = MaxOrderLots,
        MaxPositionLots = MaxPositionLots,
        BreakerBandPpm = BreakerBandPpm,
        BreakerWindow = BreakerWindow,
    };

    internal static decimal Pow10(int n)
    {
        var r = 1m;
        for (var i = 0; i < n; i++) r *= 10;
        return r;
    }
}
