using System.Runtime.CompilerServices;
using Exchange.Core.Commands;
using Exchange.Core.Events;

namespace Exchange.Gateway.Metrics;

/// <summary>
/// The exchange's health as its events tell it: the three system ledgers (RULEBOOK section 2), open interest per
/// instrument, and running totals of the loss waterfall (liquidations, ADL closures, haircuts, exchange loss). Seeded
/// from the recovered state at start-up, then moved by every command's events, never by reading the core.
/// <para>
/// One writer, the output thread (<see cref="Apply"/>): plain stores, no lock, no allocation once the position table
/// covers the accounts that trade. Any thread may read the properties; each is one aligned 64-bit load, so a reader
/// sees a value from before or after a command, never a torn one (two values read one after the other may straddle
/// a command).
/// </para>
/// </summary>
internal sealed class ExchangeHealth
{
    private readonly long[] _openInterest;
    private readonly long[] _adlClosures;
    // Signed position (lots) per instrument and account: what each fill moves open interest by depends on both sides'
    // positions before it. Indexed by account id and grown out of line to the highest id seen, never past the core's
    // account id limit (maxAccountId; the core refuses any higher id, so no event carries one): at most
    // 8 x (maxAccountId + 1) bytes per instrument.
    private readonly long[][] _positions;
    private readonly int _maxAccountId;
    private long _insurance;
    private long _fees;
    private long _exchange;
    private long _trades;
    private long _liquidations;
    private long _cured;
    private long _liquidationFees;
    private long _insurancePaid;
    private long _haircuts;
    private long _haircutAmount;
    private long _exchangeLoss;
    private long _fundingDust;

    /// <param name="instruments">Instrument ids are 0 .. instruments − 1.</param>
    /// <param name="maxAccountId">The core's highest account id (<see cref="Core.ExchangeOptions.MaxAccountId"/>, the
    /// configuration's <c>maxAccountId</c>): the position table's bound.</param>
    public ExchangeHealth(int instruments, int maxAccountId = 16_777_215)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxAccountId);
        _maxAccountId = maxAccountId;
        _openInterest = new long[instruments];
        _adlClosures = new long[instruments];
        _positions = new long[instruments][];
        for (var i = 0; i < instruments; i++) _positions[i] = new long[Math.Min(64, maxAccountId + 1)];
    }

    public int Instruments => _openInterest.Length;

    /// <summary>Slots of an instrument's position table (one per account id up to the highest seen; tests).</summary>
    internal int PositionSlots(int instrument) => _positions[instrument].Length;

    /// <summary>The insurance fund, in money units (never negative).</summary>
    public long Insurance => Volatile.Read(ref _insurance);

    /// <summary>The fee ledger (fees collected less maker rebates), in money units.</summary>
    public long Fees => Volatile.Read(ref _fees);

    /// <summary>The exchange ledger: loss the exchange absorbed (zero or negative), in money units.</summary>
    public long ExchangeLedger => Volatile.Read(ref _exchange);

    /// <summary>Open interest of an instrument: the sum of its long positions (= the sum of its shorts), in lots.</summary>
    public long OpenInterest(int instrument) => Volatile.Read(ref _openInterest[instrument]);

    /// <summary>ADL closures (one per counterparty closed) in an instrument since start-up.</summary>
    public long AdlClosures(int instrument) => Volatile.Read(ref _adlClosures[instrument]);

    /// <summary>Fills since start-up (liquidation fills included).</summary>
    public long Trades => Volatile.Read(ref _trades);

    /// <summary>Liquidations started since start-up.</summary>
    public long Liquidations => Volatile.Read(ref _liquidations);

    /// <summary>Liquidations that ended with the account cured by cancelling its orders.</summary>
    public long LiquidationsCured => Volatile.Read(ref _cured);

    /// <summary>Liquidation fees paid into insurance since start-up, in money units.</summary>
    public long LiquidationFees => Volatile.Read(ref _liquidationFees);

    /// <summary>What insurance paid to liquidated accounts since start-up, in money units.</summary>
    public long InsurancePaid => Volatile.Read(ref _insurancePaid);

    /// <summary>Socialized-loss haircuts since start-up (one per paying account and bankruptcy).</summary>
    public long Haircuts => Volatile.Read(ref _haircuts);

    /// <summary>Loss socialized over profitable accounts since start-up (the haircuts' sum), in money units.</summary>
    public long HaircutAmount => Volatile.Read(ref _haircutAmount);

    /// <summary>Loss the exchange absorbed since start-up (positive), in money units.</summary>
    public long ExchangeLoss => Volatile.Read(ref _exchangeLoss);

    /// <summary>Funding rounding dust paid into insurance since start-up, in money units.</summary>
    public long FundingDust => Volatile.Read(ref _fundingDust);

    /// <summary>The ledgers of the recovered (or fresh) state; call before the first <see cref="Apply"/>.</summary>
    public void SeedLedgers(long insurance, long fees, long exchange)
    {
        _insurance = insurance;
        _fees = fees;
        _exchange = exchange;
    }

    /// <summary>A position of the recovered state; call before the first <see cref="Apply"/>.</summary>
    public void SeedPosition(int account, int instrument, long qty) => Move(account, instrument, qty);

    /// <summary>Moves the model by one command's events (the output thread, in sequence order).</summary>
    public void Apply(ReadOnlySpan<Event> events)
    {
        foreach (ref readonly var e in events)
        {
            switch (e.Type)
            {
                case EventType.Deposited:
                    // Account 0 is the insurance fund (DepositInsurance); trader deposits touch no ledger.
                    if (e.AccountId == 0) Add(ref _insurance, e.Amount);
                    break;
                case EventType.Trade:
                    Add(ref _fees, e.Amount + e.Amount2);
                    Add(ref _trades, 1);
                    ChangeHands(e.AccountId, e.CounterpartyId, e.InstrumentId, e.Side, e.Quantity);
                    break;
                case EventType.FundingDust:
                    Add(ref _insurance, e.Amount);
                    Add(ref _fundingDust, e.Amount);
                    break;
                case EventType.LiquidationStarted:
                    Add(ref _liquidations, 1);
                    break;
                case EventType.LiquidationEnded:
                    if ((e.Flags & EventFlags.Cured) != 0) Add(ref _cured, 1);
                    break;
                case EventType.LiquidationFee:
                    Add(ref _insurance, e.Amount);
                    Add(ref _liquidationFees, e.Amount);
                    break;
                case EventType.InsurancePayment:
                    Add(ref _insurance, -e.Amount);
                    Add(ref _insurancePaid, e.Amount);
                    break;
                case EventType.AdlClosure:
                    // Side is the liquidated account's closing side.
                    ChangeHands(e.AccountId, e.CounterpartyId, e.InstrumentId, e.Side, e.Quantity);
                    Add(ref _adlClosures[e.InstrumentId], 1);
                    break;
                case EventType.Haircut:
                    Add(ref _haircuts, 1);
                    Add(ref _haircutAmount, e.Amount);
                    break;
                case EventType.ExchangeLoss:
                    Add(ref _exchange, -e.Amount);
                    Add(ref _exchangeLoss, e.Amount);
                    break;
            }
        }
    }

    /// <summary>A single-writer add: readers load the field whole (aligned 64-bit), so no interlocked operation is needed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(ref long field, long delta) => Volatile.Write(ref field, field + delta);

    /// <summary>Lots change hands: <paramref name="account"/> trades <paramref name="side"/>, the counterparty the other way.</summary>
    private void ChangeHands(int account, int counterparty, int instrument, Side side, long lots)
    {
        var signed = side == Side.Buy ? lots : -lots;
        Move(account, instrument, signed);
        Move(counterparty, instrument, -signed);
    }

    private void Move(int account, int instrument, long lots)
    {
        var positions = _positions[instrument];
        if ((uint)account >= (uint)positions.Length) positions = Grow(instrument, account);
        ref var q = ref positions[account];
        var before = q;
        q = before + lots;
        // Open interest is the sum of long positions: only the long parts before and after matter.
        var delta = Math.Max(q, 0) - Math.Max(before, 0);
        if (delta != 0) Add(ref _openInterest[instrument], delta);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private long[] Grow(int instrument, int account)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(account);
        // The core refuses ids past its limit: an event carrying one is a bug, not growth.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(account, _maxAccountId);
        var grown = new long[(int)Math.Min(System.Numerics.BitOperations.RoundUpToPowerOf2((uint)account + 1), (uint)_maxAccountId + 1)];
        _positions[instrument].CopyTo(grown, 0);
        return _positions[instrument] = grown;
    }
}
