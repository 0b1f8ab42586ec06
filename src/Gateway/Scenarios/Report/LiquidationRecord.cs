namespace Exchange.Gateway.Scenarios.Report;

/// <summary>
/// One liquidation of a scenario, from its events: where the account stood, and how its positions and loss were
/// absorbed: the book, the insurance fund, ADL counterparties, haircuts on winners, the exchange. Money in units,
/// quantities in lots.
/// </summary>
internal sealed class LiquidationRecord(int line, int account, long equity, long maintenance)
{
    public int Line { get; } = line;
    public int Account { get; } = account;
    /// <summary>Equity and maintenance margin when the liquidation started.</summary>
    public long Equity { get; } = equity;
    public long Maintenance { get; } = maintenance;

    public int OrdersCancelled { get; set; }
    public int BookFills { get; set; }
    public List<(int Instrument, long Lots)> BookLots { get; } = [];
    public long LiquidationFees { get; set; }
    public long InsurancePaid { get; set; }
    /// <summary>ADL closures in the order the queue took them.</summary>
    public List<(int Counterparty, int Instrument, long Lots, long Price, long Quote)> Adl { get; } = [];
    public List<(int Payer, long Amount)> Haircuts { get; } = [];
    public long ExchangeLoss { get; set; }
    public bool Cured { get; set; }
    /// <summary>The account's balance when it ended (flat, never negative).</summary>
    public long FinalBalance { get; set; }

    public long HaircutTotal
    {
        get
        {
            long total = 0;
            foreach (var h in Haircuts) total += h.Amount;
            return total;
        }
    }
}
