using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Gateway.Scenarios;

namespace Exchange.Gateway.Stress;

/// <summary>
/// Runs shocks one after another on one thread: each on a fresh exchange restored from the starting snapshot, its
/// commands applied through <c>Exchange.Apply</c> (so the whole waterfall of the core runs), the events tallied and
/// every invariant checked at the end. Also counts, per account, the shocks in which it was deleveraged or haircut.
/// One runner per worker; nothing is shared but the read-only starting state.
/// </summary>
internal sealed class ShockRunner
{
    private readonly StressState _state;
    private readonly int[] _liquidatedIn;
    private readonly int[] _deleveragedIn;
    private readonly int[] _haircutIn;
    private int _runs;

    public ShockRunner(StressState state)
    {
        _state = state;
        var n = state.AccountCount + 1;
        _liquidatedIn = new int[n];
        _deleveragedIn = new int[n];
        _haircutIn = new int[n];
        AdlHits = new int[n];
        HaircutHits = new int[n];
    }

    /// <summary>Per account id: in how many of this runner's shocks it was an ADL counterparty.</summary>
    public int[] AdlHits { get; }
    /// <summary>Per account id: in how many of this runner's shocks it paid a haircut.</summary>
    public int[] HaircutHits { get; }

    /// <summary>
    /// Runs shock <paramref name="index"/>. When it needed ADL, haircuts or the exchange, it runs once more with an
    /// unlimited insurance fund to find the fund that would have covered it.
    /// </summary>
    public ShockOutcome Run(int index, IReadOnlyList<Command> commands)
    {
        var (outcome, peak) = Apply(index, commands, unlimitedFund: false);
        if (outcome.Covered) return outcome with { FundNeeded = peak };
        var (unlimited, unlimitedPeak) = Apply(index, commands, unlimitedFund: true);
        long? need = unlimited.Covered ? unlimitedPeak : null;
        // A fund at least the need runs the shock exactly as an unlimited one does; so the fund it had covered it
        // if and only if it was at least the need. Checked, since the adequacy curve rests on it.
        var consistent = need is null || need > outcome.InsuranceBefore;
        return outcome with
        {
            FundNeeded = need,
            Violation = outcome.Violation ?? unlimited.Violation
                ?? (consistent ? null : $"needed a fund of {need}, below the {outcome.InsuranceBefore} it had, yet was not covered"),
        };
    }

    private (ShockOutcome Outcome, long PeakDraw) Apply(int index, IReadOnlyList<Command> commands, bool unlimitedFund)
    {
        var x = _state.Restore();
        var sequence = x.LastSequence;
        if (unlimitedFund)
        {
            // The largest insurance deposit the held bound lets in (it bounds what is held and the fund's balance).
            var held = x.Options.MaxTotalHeld;
            var room = (long)Int128.Min(Core.Instruments.InstrumentSpec.MaxNotional, Int128.Min(held - x.Held, held - x.Insurance));
            x.Apply(Command.InsuranceDeposit(room) with { Sequence = ++sequence });
        }
        var stamp = ++_runs;
        long insuranceBefore = x.Insurance, exchangeBefore = x.ExchangeLedger;
        int liquidated = 0, liquidations = 0, adl = 0, adlAccounts = 0, haircutAccounts = 0, halts = 0, refusals = 0;
        long book = 0, fees = 0, draw = 0, adlNotional = 0, shortfall = 0, haircuts = 0, exchangeLoss = 0;
        long net = 0, peak = 0, inflow = 0;
        foreach (var command in commands)
        {
            var c = command with { Sequence = ++sequence };
            foreach (ref readonly var e in x.Apply(in c))
            {
                switch (e.Type)
                {
                    case EventType.LiquidationStarted:
                        liquidations++;
                        if (First(_liquidatedIn, e.AccountId, stamp)) liquidated++;
                        break;
                    case EventType.Trade when (e.Flags & EventFlags.Liquidation) != 0:
                        book += e.Quote;
                        break;
                    case EventType.LiquidationFee:
                        fees += e.Amount;
                        inflow += e.Amount;
                        net -= e.Amount;
                        break;
                    case EventType.FundingDust:
                        inflow += e.Amount;
                        net -= e.Amount;
                        break;
                    case EventType.Deposited when e.AccountId == 0:
                        inflow += e.Amount;
                        net -= e.Amount;
                        break;
                    case EventType.InsurancePayment:
                        draw += e.Amount;
                        net += e.Amount;
                        peak = Math.Max(peak, net);
                        break;
                    case EventType.AdlClosure:
                        adl++;
                        adlNotional += e.Quote;
                        shortfall += Shortfall(in e);
                        if (First(_deleveragedIn, e.CounterpartyId, stamp))
                        {
                            adlAccounts++;
                            if (!unlimitedFund) AdlHits[e.CounterpartyId]++;
                        }
                        break;
                    case EventType.Haircut:
                        haircuts += e.Amount;
                        if (First(_haircutIn, e.AccountId, stamp))
                        {
                            haircutAccounts++;
                            if (!unlimitedFund) HaircutHits[e.AccountId]++;
                        }
                        break;
                    case EventType.ExchangeLoss:
                        exchangeLoss += e.Amount;
                        break;
                    case EventType.TradingHalted:
                        halts++;
                        break;
                    case EventType.Rejected when e.Reason == RejectCode.InstrumentHalted:
                        refusals++;
                        break;
                }
            }
        }
        var violation = Check(x, insuranceBefore + inflow - draw, exchangeBefore - exchangeLoss);
        var outcome = new ShockOutcome
        {
            Index = index, Liquidated = liquidated, Liquidations = liquidations, BookNotional = book,
            LiquidationFees = fees, InsuranceDraw = draw, AdlClosures = adl, AdlNotional = adlNotional,
            AdlAccounts = adlAccounts, AdlShortfall = shortfall, Haircuts = haircuts, HaircutAccounts = haircutAccounts,
            ExchangeLoss = exchangeLoss, InsuranceBefore = insuranceBefore, InsuranceAfter = x.Insurance, Halts = halts,
            HaltRefusals = refusals,
            Violation = violation,
        };
        return (outcome, peak);
    }

    /// <summary>What the counterparty got less than a close at the mark: it pays the quote to close a short, receives
    /// it to close a long.</summary>
    private long Shortfall(in Event e)
    {
        var atMark = e.Quantity * e.Price * _state.Units.Instruments[e.InstrumentId].Spec.TickValue;
        return e.Side == Side.Sell ? e.Quote - atMark : atMark - e.Quote;
    }

    private static bool First(int[] seenIn, int account, int stamp)
    {
        if (account <= 0 || account >= seenIn.Length || seenIn[account] == stamp) return false;
        seenIn[account] = stamp;
        return true;
    }

    /// <summary>
    /// RULEBOOK section 2's conservation to the unit, every instrument's positions summing to zero, insurance
    /// non-negative, the exchange ledger not positive, the ledgers moved exactly as the events say, and no account
    /// left liquidatable. Returns the first that fails, or null.
    /// </summary>
    private static string? Check(Core.Exchange x, long expectedInsurance, long expectedExchange)
    {
        Int128 balances = 0, costs = 0;
        var net = new long[x.InstrumentCount];
        string? liquidatable = null;
        for (var a = 1; a <= x.MaxAccountId; a++)
        {
            if (!x.AccountExists(a)) continue;
            balances += x.Balance(a);
            for (var i = 0; i < net.Length; i++)
            {
                costs += x.PositionCost(a, i);
                net[i] += x.PositionQty(a, i);
            }
            if (liquidatable is null && x.IsLiquidatable(a)) liquidatable = $"account {a} left liquidatable";
        }
        var law = new Conservation(balances, costs, x.Insurance, x.Fees, x.ExchangeLedger, x.Deposits, x.Withdrawals, net);
        if (!law.MoneyBalances) return $"conservation: left {law.Left} != right {law.Right}";
        if (!law.PositionsNet) return "positions do not sum to zero";
        if (x.Insurance < 0) return $"insurance negative: {x.Insurance}";
        if (x.ExchangeLedger > 0) return $"exchange ledger positive: {x.ExchangeLedger}";
        if (x.Insurance != expectedInsurance) return $"insurance {x.Insurance} differs from its events' {expectedInsurance}";
        if (x.ExchangeLedger != expectedExchange) return $"exchange ledger {x.ExchangeLedger} differs from its events' {expectedExchange}";
        return liquidatable;
    }
}
