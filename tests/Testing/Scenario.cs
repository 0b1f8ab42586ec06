using Exchange.Core;
using Exchange.Core.Instruments;

namespace Exchange.Testing;

/// <summary>A generated test case: exchange configuration and the steps to apply.</summary>
/// <remarks>Account k (0-based) has id 1 + k x <see cref="AccountStride"/>: a large stride spreads ids out so the core's
/// per-account arrays must grow.</remarks>
public sealed record Scenario(ExchangeOptions Options, IReadOnlyList<InstrumentSpec> Instruments, IReadOnlyList<long> InitialMarks,
    int AccountCount, IReadOnlyList<Intent> Intents, int AccountStride = 1)
{
    public override string ToString() =>
        $"Scenario(policy={Options.Policy}, max orders={Options.MaxOpenOrdersPerAccount}, max funding={Options.MaxFundingRatePpm}, " +
        $"capacities accounts={Options.AccountCapacity} orders={Options.OrderCapacity} levels={Options.LevelCapacity}, " +
        $"{AccountCount} accounts (stride {AccountStride}), " +
        $"instruments=[{string.Join("; ", Instruments.Select((s, i) => $"{s.Name} tv={s.TickValue} imr={s.ImrPpm} mmr={s.MmrPpm} maker={s.MakerFeePpm} taker={s.TakerFeePpm} liq={s.LiquidationFeePpm} band={s.BandPpm} liqband={s.LiquidationBandPpm} maxpx={s.MaxPrice} maxord={s.MaxOrderLots} maxpos={s.MaxPositionLots} breaker={s.BreakerBandPpm}/{s.BreakerWindow} mark0={InitialMarks[i]}"))}], " +
        $"{Intents.Count} steps)";
}
