using Exchange.Core.Book;
using Exchange.Core.Instruments;

namespace Exchange.Core.Tests.Risk;

/// <summary>
/// The fill's skip check (LiquidationIndex.NeedsEvaluation) multiplies a distance of at most max_price ticks by
/// <see cref="Instrument.RatePerLot"/> without an overflow test when <see cref="Instrument.ReachRateFits"/>: it must
/// hold for every spec <see cref="InstrumentSpec.Validate"/> accepts, up to the bounds, and fail where the product
/// would not be a long.
/// </summary>
public class ReachRateTests
{
    private static InstrumentSpec Spec(long tickValue, long maxPrice, long mmrPpm, long imrPpm, long maxPosition, long maxOrder) => new()
    {
        Name = "X",
        TickValue = tickValue,
        MmrPpm = mmrPpm,
        ImrPpm = imrPpm,
        MakerFeePpm = 0,
        TakerFeePpm = 0,
        LiquidationFeePpm = 0,
        BandPpm = 1,
        LiquidationBandPpm = 1,
        MaxPrice = maxPrice,
        MaxPositionLots = maxPosition,
        MaxOrderLots = maxOrder,
    };

    private static Instrument Make(InstrumentSpec spec) => new(0, spec, new OrderStore(16), 16);

    [Theory]
    // max_price x tick_value at the largest a spec with one-lot bounds allows (2 x max_price x tv <= 2^60 less the band).
    [InlineData(1L, (1L << 59) - (1L << 40), 999_999L)]
    [InlineData((1L << 59) - (1L << 40), 1L, 999_999L)]
    [InlineData(1L << 29, (1L << 30) - 2048, 999_998L)]
    [InlineData(3L, 1L << 40, 1L)]
    public void AValidatedSpec_AlwaysFits(long tickValue, long maxPrice, long mmrPpm)
    {
        var spec = Spec(tickValue, maxPrice, mmrPpm, Math.Min(1_000_000, mmrPpm + 1), 1, 1);
        spec.Validate();
        var ins = Make(spec);
        Assert.True(ins.ReachRateFits);
        Assert.True((Int128)maxPrice * ins.RatePerLot < (Int128)1 << 62);
    }

    [Fact]
    public void RandomValidatedSpecs_AllFit()
    {
        var r = new Random(20261208);
        var accepted = 0;
        for (var n = 0; n < 20_000; n++)
        {
            var tickValue = 1L << r.Next(0, 60);
            tickValue += r.NextInt64(tickValue);
            var maxPrice = 1L + r.NextInt64(1L << r.Next(1, 61));
            var mmr = 1L + r.NextInt64(999_999);
            var spec = Spec(tickValue, maxPrice, mmr, mmr + 1 + r.NextInt64(1_000_000 - mmr), 1L + r.NextInt64(1L << r.Next(0, 20)), 1L + r.NextInt64(1L << r.Next(0, 20)));
            try { spec.Validate(); }
            catch (ArgumentException) { continue; }
            accepted++;
            Assert.True(Make(spec).ReachRateFits, $"tv {tickValue} max_price {maxPrice} mmr {mmr}");
        }
        Assert.True(accepted > 1_000, $"only {accepted} specs accepted");
    }

    /// <summary>Found by <see cref="RandomValidatedSpecs_AllFit"/>: max lots x top price x tick value past 2^127 wrapped
    /// in Validate's Int128 product and the spec was accepted. Here 2^26 lots x a top price of 2^41 (the band's 1 ppm
    /// above max_price) x a tick value of 2^62 is 2^129, 0 modulo 2^128.</summary>
    [Fact]
    public void Validate_RefusesBoundsWhoseProductWouldWrapInt128()
    {
        var spec = Spec(1L << 62, 2_199_021_056_531, 500_000, 600_000, 1L << 25, 1L << 25);
        var ex = Assert.Throws<ArgumentException>(spec.Validate);
        Assert.Contains("max position x max price x tick_value exceeds", ex.Message);
    }

    [Fact]
    public void AnUnvalidatedSpecPastTheBound_DoesNotFit()
    {
        // Never through Validate (AddInstrument would refuse it): the check must then send the account to the evaluation.
        var ins = Make(Spec(1L << 40, 1L << 40, 500_000, 600_000, 1, 1));
        Assert.False(ins.ReachRateFits);
    }
}
