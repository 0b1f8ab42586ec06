using System.Numerics;
using Exchange.Core;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Instruments;
using static Exchange.Testing.Exact;

namespace Exchange.Testing;

/// <summary>
/// The naive reference model of the exchange: written from RULEBOOK.md and docs/rulebook-notes.md alone, with plain
/// lists and dictionaries, unbounded integers and linear scans over everything. Slow on purpose, so that it is
/// obviously right; the fast core is checked against it event by event.
/// </summary>
public sealed partial class ReferenceExchange
{
    private static readonly BigInteger MaxAmount = BigInteger.One << 60;
    private readonly List<RefInstrument> _instruments = new();
    private readonly SortedDictionary<int, RefAccount> _accounts = new();
    // Resting orders, in no particular order: every view sorts what it needs.
    private readonly List<RefOrder> _orders = new();
    private readonly List<Event> _events = new();
    private readonly List<LiquidationTrace> _traces = new();
    private Command _command;
    private long _arrivals;

    public ReferenceExchange(ExchangeOptions? options = null) => Options = options ?? new ExchangeOptions();

    public ExchangeOptions Options { get; }
    public BigInteger Insurance { get; private set; }
    public BigInteger Fees { get; private set; }
    /// <summary>The exchange ledger: zero or negative.</summary>
    public BigInteger ExchangeLedger { get; private set; }
    public BigInteger Deposits { get; private set; }
    public BigInteger Withdrawals { get; private set; }
    public long LastOrderId { get; private set; }
    public long LastTradeId { get; private set; }

    public IReadOnlyList<RefInstrument> Instruments => _instruments;
    public IEnumerable<RefAccount> Accounts => _accounts.Values;
    /// <summary>What the model measured in the liquidations of the last command, in the order they ran.</summary>
    public IReadOnlyList<LiquidationTrace> LastTraces => _traces;

    public int AddInstrument(InstrumentSpec spec)
    {
        spec.Validate();
        _instruments.Add(new RefInstrument(_instruments.Count, spec));
        return _instruments.Count - 1;
    }

    public RefAccount? Account(int id) => _accounts.GetValueOrDefault(id);

    /// <summary>Applies one command and returns its events (a fresh list).</summary>
    public List<Event> Apply(Command c)
    {
        _command = c;
        _events.Clear();
        _traces.Clear();
        var insurance = Insurance;
        switch (c.Type)
        {
            case CommandType.NewOrder: NewOrder(c); break;
            case CommandType.Cancel: Cancel(c); break;
            case CommandType.CancelAll: CancelAll(c); break;
            case CommandType.Amend: Amend(c); break;
            case CommandType.Deposit: Deposit(c); break;
            case CommandType.Withdraw: Withdraw(c); break;
            case CommandType.DepositInsurance: DepositInsurance(c); break;
            case CommandType.SetMark: SetMark(c); break;
            case CommandType.Funding: Funding(c); break;
            case CommandType.ResumeTrading: ResumeTrading(c); break;
            default: Reject(RejectCode.Malformed); break;
        }
        LiquidationLoop();
        if (Insurance != insurance)
        {
            var fund = NewEvent(EventType.InsuranceFund);
            fund.Amount = ToLong(Insurance);
            Emit(fund);
        }
        ReportTouchedAccounts();
        return new List<Event>(_events);
    }

    // ---- Queries ----

    /// <summary>Resting orders of one side of a book in priority order: best price first, then time.</summary>
    public List<RefOrder> Book(int instrument, Side side)
    {
        var own = _orders.Where(o => o.InstrumentId == instrument && o.Side == side);
        var byPrice = side == Side.Buy ? own.OrderByDescending(o => o.Price) : own.OrderBy(o => o.Price);
        return byPrice.ThenBy(o => o.Arrival).ToList();
    }

    /// <summary>An account's open orders, oldest first (acceptance order, which ids follow).</summary>
    public List<RefOrder> OrdersOf(int account) => _orders.Where(o => o.AccountId == account).OrderBy(o => o.Id).ToList();

    public IReadOnlyList<RefOrder> AllOrders => _orders;

    public BigInteger Balance(int account) => _accounts[account].Balance;
    public BigInteger Qty(int account, int instrument) => _accounts[account].Position(instrument).Qty;
    public BigInteger Cost(int account, int instrument) => _accounts[account].Position(instrument).Cost;

    // ---- Money commands ----

    private void Deposit(Command c)
    {
        if (c.AccountId <= 0 || c.AccountId > Options.MaxAccountId) { Reject(RejectCode.AccountLimit); return; }
        var balance = _accounts.TryGetValue(c.AccountId, out var a) ? a.Balance : 0;
        if (!DepositFits(c.Amount, balance)) { Reject(RejectCode.InvalidAmount); return; }
        if (a is null) _accounts[c.AccountId] = a = new RefAccount(c.AccountId);
        a.Balance += c.Amount;
        Deposits += c.Amount;
        var e = NewEvent(EventType.Deposited);
        e.AccountId = c.AccountId;
        e.Amount = c.Amount;
        Emit(e);
    }

    /// <summary>At most 2^60 at once; what is held (deposits net of withdrawals) and the receiving balance stay within
    /// the configured bound.</summary>
    private bool DepositFits(long amount, BigInteger balance) =>
        amount > 0 && amount <= MaxAmount && Deposits - Withdrawals + amount <= Options.MaxTotalHeld &&
        balance + amount <= Options.MaxTotalHeld;

    private void DepositInsurance(Command c)
    {
        if (!DepositFits(c.Amount, Insurance)) { Reject(RejectCode.InvalidAmount); return; }
        Insurance += c.Amount;
        Deposits += c.Amount;
        var e = NewEvent(EventType.Deposited);
        e.Amount = c.Amount;
        Emit(e);
    }

    private void Withdraw(Command c)
    {
        if (!_accounts.TryGetValue(c.AccountId, out var a)) { Reject(RejectCode.UnknownAccount); return; }
        if (c.Amount <= 0) { Reject(RejectCode.InvalidAmount); return; }
        if (c.Amount > a.Balance) { Reject(RejectCode.InsufficientBalance); return; }
        if (Equity(a.Id) - c.Amount - OrderLoss(a.Id, null, null) < InitialMargin(a.Id, null, null))
        {
            Reject(RejectCode.InsufficientMargin);
            return;
        }
        a.Balance -= c.Amount;
        Withdrawals += c.Amount;
        var e = NewEvent(EventType.Withdrawn);
        e.AccountId = a.Id;
        e.Amount = c.Amount;
        Emit(e);
    }

    private void SetMark(Command c)
    {
        if (c.InstrumentId < 0 || c.InstrumentId >= _instruments.Count) { Reject(RejectCode.UnknownInstrument); return; }
        var ins = _instruments[c.InstrumentId];
        if (c.Price <= 0 || c.Price > ins.Spec.MaxPrice) { Reject(RejectCode.InvalidPrice); return; }
        ins.Mark = c.Price;
        var e = NewEvent(EventType.MarkPrice);
        e.InstrumentId = ins.Id;
        e.Price = c.Price;
        Emit(e);
        if (ins.Spec.BreakerBandPpm > 0) Breaker(ins, c.Price);
    }

    /// <summary>
    /// The circuit breaker (docs/rulebook-notes.md): the mark breaches when it is more than band away from any of the
    /// last W marks since the last breach, relative to that mark. A breach halts (and restarts the count at this
    /// mark); a halted instrument resumes at the W-th calm mark after the last breach.
    /// </summary>
    private void Breaker(RefInstrument ins, long m)
    {
        var band = ins.Spec.BreakerBandPpm;
        var window = ins.CalmMarks.Skip(Math.Max(0, ins.CalmMarks.Count - ins.Spec.BreakerWindow)).ToList();
        var up = window.Where(w => (BigInteger)(m - w) * Million > (BigInteger)w * band).ToList();
        var down = window.Where(w => (BigInteger)(w - m) * Million > (BigInteger)w * band).ToList();
        if (up.Count > 0 || down.Count > 0)
        {
            ins.CalmMarks.Clear();
            ins.CalmMarks.Add(m);
            if (ins.Halted) return;
            ins.Halted = true;
            var halted = NewEvent(EventType.TradingHalted);
            halted.InstrumentId = ins.Id;
            halted.Price = m;
            halted.Amount = up.Count > 0 ? up.Min() : down.Max();
            Emit(halted);
            return;
        }
        ins.CalmMarks.Add(m);
        if (!ins.Halted || ins.CalmMarks.Count - 1 < ins.Spec.BreakerWindow) return;
        ins.Halted = false;
        var resumed = NewEvent(EventType.TradingResumed);
        resumed.InstrumentId = ins.Id;
        resumed.Price = m;
        Emit(resumed);
    }

    private void ResumeTrading(Command c)
    {
        if (c.InstrumentId < 0 || c.InstrumentId >= _instruments.Count) { Reject(RejectCode.UnknownInstrument); return; }
        var ins = _instruments[c.InstrumentId];
        if (!ins.Halted) { Reject(RejectCode.InstrumentNotHalted); return; }
        ins.Halted = false;
        var e = NewEvent(EventType.TradingResumed);
        e.InstrumentId = ins.Id;
        e.Price = ins.Mark;
        e.Amount = 1;
        Emit(e);
    }

    /// <summary>x = q m tv rate / 1e6 per position; whoever pays (longs when rate &gt; 0) pays ceil(|x|), the other
    /// side receives floor(|x|); the difference is dust for the insurance fund.</summary>
    private void Funding(Command c)
    {
        if (c.InstrumentId < 0 || c.InstrumentId >= _instruments.Count) { Reject(RejectCode.UnknownInstrument); return; }
        var ins = _instruments[c.InstrumentId];
        if (ins.Mark <= 0) { Reject(RejectCode.NoMarkPrice); return; }
        if (BigInteger.Abs(c.Amount) > Options.MaxFundingRatePpm) { Reject(RejectCode.InvalidAmount); return; }
        BigInteger dust = 0;
        foreach (var a in _accounts.Values)
        {
            var q = a.Position(ins.Id).Qty;
            if (q == 0) continue;
            var magnitude = BigInteger.Abs(q) * ins.Mark * ins.Spec.TickValue * BigInteger.Abs(c.Amount);
            var pays = q.Sign * Math.Sign(c.Amount) > 0;
            var change = pays ? -Ceil(magnitude, Million) : Floor(magnitude, Million);
            a.Balance += change;
            dust -= change;
            var e = NewEvent(EventType.Funding);
            e.AccountId = a.Id;
            e.InstrumentId = ins.Id;
            e.Quantity = ToLong(q);
            e.Amount = ToLong(change);
            Emit(e);
        }
        Insurance += dust;
        var d = NewEvent(EventType.FundingDust);
        d.InstrumentId = ins.Id;
        d.Amount = ToLong(dust);
        d.Amount2 = c.Amount;
        Emit(d);
    }

    // ---- Events ----

    private Event NewEvent(EventType type) =>
        new() { Type = type, Sequence = _command.Sequence, CommandType = _command.Type, Timestamp = _command.Timestamp };

    private void Emit(Event e) => _events.Add(e);

    /// <summary>A rejected command emits one event that echoes the command's fields.</summary>
    private void Reject(RejectCode code)
    {
        var e = NewEvent(EventType.Rejected);
        e.AccountId = _command.AccountId;
        e.InstrumentId = _command.InstrumentId;
        e.OrderId = _command.OrderId;
        e.ClientOrderId = _command.ClientOrderId;
        e.Reason = code;
        Emit(e);
    }
}
