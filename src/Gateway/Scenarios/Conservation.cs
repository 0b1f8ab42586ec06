namespace Exchange.Gateway.Scenarios;

/// <summary>
/// The conservation law of RULEBOOK section 2 measured on a finished run:
/// <c>sum(balance) - sum(C) + insurance + fees + exchange == deposits - withdrawals</c>, with the deposits and
/// withdrawals counted from the events (not from the core's own counters), and <c>sum(q) == 0</c> per instrument.
/// All money in collateral units, quantities in lots.
/// </summary>
internal sealed record Conservation(
    Int128 Balances, Int128 Costs, long Insurance, long Fees, long Exchange, Int128 Deposits, Int128 Withdrawals,
    IReadOnlyList<long> NetLots)
{
    public Int128 Left => Balances - Costs + Insurance + Fees + Exchange;

    public Int128 Right => Deposits - Withdrawals;

    public bool MoneyBalances => Left == Right;

    public bool PositionsNet
    {
        get
        {
            foreach (var lots in NetLots)
                if (lots != 0) return false;
            return true;
        }
    }

    public bool Ok => MoneyBalances && PositionsNet;
}
