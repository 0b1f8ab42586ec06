namespace Exchange.LoadTest;

/// <summary>What to generate: the seed fixes every command, so a run is reproducible from this record alone.</summary>
internal sealed record WorkloadSpec
{
    public int Seed { get; init; } = 1;
    public WorkloadMix Mix { get; init; } = WorkloadMix.ExchangeCore;
    public int Instruments { get; init; } = 1;
    public int Accounts { get; init; } = 2_000;
    /// <summary>Measured commands (after the setup that funds accounts and fills the books).</summary>
    public int Commands { get; init; } = 3_000_000;
    /// <summary>The resting orders each book is filled to and kept near.</summary>
    public int OrdersPerBook { get; init; } = 1_000;

    public string Describe() =>
        $"{(Mix == WorkloadMix.ExchangeCore ? "exchange-core mix" : "margin mix")}, {Instruments} instrument{(Instruments == 1 ? "" : "s")}, " +
        $"{Accounts:N0} accounts, ~{OrdersPerBook:N0} resting orders per book, seed {Seed}";
}
