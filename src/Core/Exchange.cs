using Exchange.Core.Accounts;
using Exchange.Core.Book;
using Exchange.Core.Commands;
using Exchange.Core.Dedup;
using Exchange.Core.Events;
using Exchange.Core.Instruments;
using Exchange.Core.Liquidation;
using Exchange.Core.Risk;

namespace Exchange.Core;

/// <summary>
/// The deterministic state machine: <see cref="Apply"/> takes one sequenced command and returns the events it caused.
/// It reads no clock, starts no thread and does no I/O, so the same commands always give the same state and events.
/// Not thread-safe by design: one thread (the business-logic processor) owns it. Allocation-free once warmed up.
/// </summary>
public sealed class Exchange
{
    private readonly ExchangeOptions _options;
    private readonly InstrumentTable _instruments;
    private readonly AccountStore _accounts;
    private readonly OrderStore _orders;
    private readonly Ledgers _ledgers = new();
    private readonly EventBuffer _events = new(256);
    private readonly MarginCalculator _margin;
    private readonly LiquidationIndex _index;
    private readonly Matcher _matcher;
    private readonly OrderEntry _entry;
    private readonly AdlQueue _adl;
    private readonly Liquidator _liquidator;
    private readonly AccountReports _reports;
    private readonly TokenTable _tokens;

    public Exchange(ExchangeOptions? options = null)
    {
        _options = options ?? new ExchangeOptions();
        _options.Validate();
        _instruments = new InstrumentTable(_options.MaxInstruments);
        _accounts = new AccountStore(_options.AccountCapacity, _options.MaxInstruments, _instruments);
        _orders = new OrderStore(_options.OrderCapacity);
        _margin = new MarginCalculator(_accounts, _instruments, _orders);
        _index = new LiquidationIndex(_accounts, _instruments, _margin, _options.MaxInstruments, _options.AccountCapacity);
        _adl = new AdlQueue(_accounts, _instruments, _margin, _events);
        _reports = new AccountReports(_accounts, _margin, _adl, _events, _options.AccountCapacity);
        _matcher = new Matcher(_accounts, _orders, _instruments, _ledgers, _events, _index, _reports);
        _entry = new OrderEntry(_accounts, _instruments, _orders, _margin, _matcher, _events, _options.MaxOpenOrdersPerAccount);
        var socializer = new Socializer(_accounts, _instruments, _margin, _ledgers, _events, _index, _adl, _reports);
        _liquidator = new Liquidator(_accounts, _instruments, _margin, _index, _matcher, _orders, _adl, socializer,
            _ledgers, _events, _options.Policy);
        _tokens = new TokenTable(_options.TokenWindow, _options.MaxTokenSpaces, _options.InitialTokenSpaces);
    }

    public ExchangeOptions Options => _options;

    /// <summary>Sequence of the last command applied (0 before any).</summary>
    public long LastSequence { get; internal set; }

    // Internals for the snapshot codec (Journal/SnapshotCodec), which reads and rebuilds the whole state.
    internal InstrumentTable InstrumentTable => _instruments;
    internal AccountStore AccountStore => _accounts;
    internal OrderStore OrderStore => _orders;
    internal Ledgers Ledgers => _ledgers;
    internal Matcher Matcher => _matcher;
    internal OrderEntry OrderEntry => _entry;
    internal LiquidationIndex Index => _index;
    internal MarginCalculator Margin => _margin;
    internal TokenTable Tokens => _tokens;

    /// <summary>
    /// A 64-bit hash of the whole observable state (ledgers, accounts, positions, books in priority order, marks,
    /// id counters, last sequence): equal hashes mean equal states. Used to verify recovery and replay; allocates.
    /// </summary>
    public ulong StateHash() => Journal.SnapshotCodec.Hash(this);

    /// <summary>Adds an instrument (configuration, not a hot-path command). Returns its id (0, 1, ...).</summary>
    public int AddInstrument(InstrumentSpec spec)
    {
        spec.Validate();
        var id = _instruments.Count;
        _instruments.Add(new Instrument(id, spec, _orders, _options.LevelCapacity));
        return id;
    }

    /// <summary>
    /// Applies one command. The returned events are valid until the next call; they end with the insurance fund when
    /// it changed and the state of every account the command touched (see <see cref="EventType"/>).
    /// </summary>
    public ReadOnlySpan<Event> Apply(in Command command)
    {
        _events.Begin(in command);
        if (command.IsNoOp) return NoOp(in command);
        // An order command's account is a random one, cold in cache: its record, sums and position are fetched together
        // rather than one miss after another as the checks reach them (CacheLines).
        if (command.Type is CommandType.NewOrder or CommandType.Cancel or CommandType.Amend)
            _accounts.Prefetch(command.AccountId, command.InstrumentId);
        LastSequence = command.Sequence;
        var slot = -1;
        if (command.IsTokened && !Admit(in command, out slot)) return _events.Span;
        var insurance = _ledgers.Insurance;
        switch (command.Type)
        {
            case CommandType.NewOrder: _entry.NewOrder(in command); break;
            case CommandType.Cancel: _entry.Cancel(in command); break;
            case CommandType.CancelAll: _entry.CancelAll(in command); break;
            case CommandType.Amend: _entry.Amend(in command); break;
            case CommandType.Deposit: Deposit(in command); break;
            case CommandType.Withdraw: Withdraw(in command); break;
            case CommandType.DepositInsurance: DepositInsurance(in command); break;
            case CommandType.SetMark: SetMark(in command); break;
            case CommandType.Funding: Funding(in command); break;
            case CommandType.ResumeTrading: ResumeTrading(in command); break;
            default: _entry.Reject(in command, RejectCode.Malformed); break;
        }
        // Every change to an account marked it dirty, but a client fill's whose re-evaluation would change nothing
        // (LiquidationIndex.Filled); liquidation re-evaluates exactly those (and the mark's triggers).
        if (_index.HasDirty || _index.Candidates.Count > 0) _liquidator.Run();
        if (_ledgers.Insurance != insurance) _events.Add(EventType.InsuranceFund).Amount = _ledgers.Insurance;
        _reports.AfterCommand();
        if (slot >= 0) Recorded(slot, in command);
        return _events.Span;
    }

    /// <summary>
    /// A query or a gateway reject: answered with events, nothing else changes, no token is looked at. A journaled one
    /// (all but a book query) moves the last sequence as every journaled command does, so a replay of the journal ends
    /// where the run did; a book query moves nothing.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private ReadOnlySpan<Event> NoOp(in Command command)
    {
        if (command.IsJournaled) LastSequence = command.Sequence;
        if (command.Type == CommandType.GatewayReject) GatewayRejected(in command);
        else Query(in command);
        return _events.Span;
    }

    /// <summary>The answer to a message the gateway refused (<see cref="CommandType.GatewayReject"/>): its code and the
    /// fields its J echoes, as the gateway journaled them.</summary>
    private void GatewayRejected(in Command c)
    {
        ref var e = ref _events.Add(EventType.GatewayRejected);
        e.Reason = c.RejectedCode;
        e.AccountId = c.AccountId;
        e.InstrumentId = c.InstrumentId;
        e.OrderId = c.OrderId;
        e.SetRejectedMessageType(c.RejectedMessageType);
    }

    /// <summary>
    /// The token check (docs/protocol.md section 7), before anything executes: true for a new token. Otherwise the
    /// command is answered here and executes nothing: a duplicate with its original outcome, a skipped token with a
    /// DUPLICATE_CLIENT_ORDER_ID reject that becomes its outcome, a token older than the window with STALE_TOKEN, and a
    /// token space past <see cref="ExchangeOptions.MaxTokenSpaces"/> with ACCOUNT_LIMIT.
    /// </summary>
    private bool Admit(in Command c, out int slot)
    {
        slot = _tokens.FindOrAdd(c.Origin);
        if (slot >= 0 && _tokens.Check(slot, c.Token, out _) == TokenVerdict.New) return true;
        NotNew(in c, slot);
        return false;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void NotNew(in Command c, int slot)
    {
        if (slot < 0) { _entry.Reject(in c, RejectCode.AccountLimit); return; }
        switch (_tokens.Check(slot, c.Token, out var outcome))
        {
            case TokenVerdict.Duplicate:
                ref readonly var o = ref _tokens.Outcome(outcome);
                ref var e = ref _events.Add(EventType.Duplicate);
                e.AccountId = c.AccountId;
                e.InstrumentId = c.InstrumentId;
                e.SetDuplicate(c.Origin, c.Token, o.Sequence, o.OrderId, o.Code);
                break;
            case TokenVerdict.Skipped:
                _entry.Reject(in c, RejectCode.DuplicateClientOrderId);
                _tokens.Record(slot, c.Token, c.Sequence, c.OrderId, RejectCode.DuplicateClientOrderId);
                break;
            default:
                _entry.Reject(in c, RejectCode.StaleToken);
                break;
        }
    }

    /// <summary>Records what a new token did: its reject code or None, and the order id it assigned or acted on, from its
    /// first event (every command has one; the guard keeps an earlier command's event from ever being read).</summary>
    private void Recorded(int slot, in Command c)
    {
        if (_events.Count == 0)
        {
            _tokens.Record(slot, c.Token, c.Sequence, 0, RejectCode.None);
            return;
        }
        ref readonly var first = ref _events[0];
        var code = first.Type == EventType.Rejected ? first.Reason : RejectCode.None;
        var orderId = c.Type is CommandType.NewOrder or CommandType.Cancel or CommandType.Amend ? first.OrderId : 0;
        _tokens.Record(slot, c.Token, c.Sequence, orderId, code);
    }

    private void Deposit(in Command c)
    {
        if (c.AccountId <= 0 || c.AccountId > _options.MaxAccountId) { _entry.Reject(in c, RejectCode.AccountLimit); return; }
        var balance = _accounts.Exists(c.AccountId) ? _accounts.Balance(c.AccountId) : 0;
        if (!DepositFits(c.Amount, balance)) { _entry.Reject(in c, RejectCode.InvalidAmount); return; }
        _accounts.Create(c.AccountId);
        _accounts.Balance(c.AccountId) += c.Amount;
        _ledgers.Deposits += c.Amount;
        _index.MarkDirty(c.AccountId);
        ref var e = ref _events.Add(EventType.Deposited);
        e.AccountId = c.AccountId;
        e.Amount = c.Amount;
    }

    /// <summary>A deposit is at most 2^60 units, and neither what the exchange holds (deposits net of withdrawals) nor
    /// the balance it lands on may pass <see cref="ExchangeOptions.MaxTotalHeld"/>.</summary>
    private bool DepositFits(long amount, long balance) =>
        amount > 0 && amount <= InstrumentSpec.MaxNotional && _ledgers.Held + amount <= _options.MaxTotalHeld &&
        (Int128)balance + amount <= _options.MaxTotalHeld;

    private void Withdraw(in Command c)
    {
        var a = c.AccountId;
        RejectCode code;
        if (!_accounts.Exists(a)) code = RejectCode.UnknownAccount;
        else if (c.Amount <= 0) code = RejectCode.InvalidAmount;
        else if (c.Amount > _accounts.Balance(a)) code = RejectCode.InsufficientBalance;
        else if (_margin.FreeMargin(a, 0, Side.Buy, 0, 0, -1) - c.Amount < 0) code = RejectCode.InsufficientMargin;
        else code = RejectCode.None;
        if (code != RejectCode.None) { _entry.Reject(in c, code); return; }
        _accounts.Balance(a) -= c.Amount;
        _ledgers.Withdrawals += c.Amount;
        _index.MarkDirty(a);
        ref var e = ref _events.Add(EventType.Withdrawn);
        e.AccountId = a;
        e.Amount = c.Amount;
    }

    private void DepositInsurance(in Command c)
    {
        if (!DepositFits(c.Amount, _ledgers.Insurance)) { _entry.Reject(in c, RejectCode.InvalidAmount); return; }
        _ledgers.Insurance += c.Amount;
        _ledgers.Deposits += c.Amount;
        ref var e = ref _events.Add(EventType.Deposited);
        e.Amount = c.Amount;
    }

    private void SetMark(in Command c)
    {
        if (!_instruments.Exists(c.InstrumentId)) { _entry.Reject(in c, RejectCode.UnknownInstrument); return; }
        var ins = _instruments[c.InstrumentId];
        if (c.Price <= 0 || c.Price > ins.Spec.MaxPrice) { _entry.Reject(in c, RejectCode.InvalidPrice); return; }
        ins.Mark = c.Price;
        _index.OnMark(ins.Id, c.Price);
        ref var e = ref _events.Add(EventType.MarkPrice);
        e.InstrumentId = ins.Id;
        e.Price = c.Price;
        if (ins.Breaker.Enabled) OnBreakerMark(ins);
    }

    /// <summary>The circuit breaker sees every accepted mark; a halt or a resume by rule follows the mark's event.
    /// Liquidation is never halted: it runs after the command as always.</summary>
    private void OnBreakerMark(Instrument ins)
    {
        var transition = ins.Breaker.OnMark(ins.Mark);
        if (transition == BreakerTransition.None) return;
        ref var e = ref _events.Add(transition == BreakerTransition.Halted ? EventType.TradingHalted : EventType.TradingResumed);
        e.InstrumentId = ins.Id;
        e.Price = ins.Mark;
        if (transition == BreakerTransition.Halted) e.Amount = ins.Breaker.Reference;
    }

    /// <summary>An admin ends a circuit-breaker halt.</summary>
    private void ResumeTrading(in Command c)
    {
        if (!_instruments.Exists(c.InstrumentId)) { _entry.Reject(in c, RejectCode.UnknownInstrument); return; }
        var ins = _instruments[c.InstrumentId];
        if (!ins.Breaker.Halted) { _entry.Reject(in c, RejectCode.InstrumentNotHalted); return; }
        ins.Breaker.Resume();
        ref var e = ref _events.Add(EventType.TradingResumed);
        e.InstrumentId = ins.Id;
        e.Price = ins.Mark;
        e.Amount = 1;
    }

    /// <summary>
    /// Each position pays x = q x m x tick_value x rate / 1e6 (longs pay when the rate is positive): payers pay
    /// ceil(|x|), receivers get floor(|x|), the dust goes to insurance. Positions are visited in account-id order.
    /// </summary>
    private void Funding(in Command c)
    {
        if (!_instruments.Exists(c.InstrumentId)) { _entry.Reject(in c, RejectCode.UnknownInstrument); return; }
        var ins = _instruments[c.InstrumentId];
        if (!ins.HasMark) { _entry.Reject(in c, RejectCode.NoMarkPrice); return; }
        if (Math.Abs(c.Amount) > _options.MaxFundingRatePpm) { _entry.Reject(in c, RejectCode.InvalidAmount); return; }
        long dust = 0;
        for (var a = 1; a <= _accounts.MaxId; a++)
        {
            if (!_accounts.Exists(a)) continue;
            var q = _accounts.Position(a, ins.Id).Qty;
            if (q == 0) continue;
            var x = (Int128)Math.Abs(q) * ins.Mark * ins.TickValue * Math.Abs(c.Amount);
            var pays = (q > 0) == (c.Amount > 0);
            var amount = pays ? -(long)FixedPoint.CeilDiv(x, FixedPoint.Million) : (long)(x / FixedPoint.Million);
            dust -= amount;
            _accounts.Balance(a) += amount;
            _index.MarkDirty(a);
            ref var e = ref _events.Add(EventType.Funding);
            e.AccountId = a;
            e.InstrumentId = ins.Id;
            e.Quantity = q;
            e.Amount = amount;
        }
        // Longs' and shorts' |x| sum to the same real number (sum q = 0), so paid ceil minus received floor is >= 0.
        _ledgers.Insurance += dust;
        ref var d = ref _events.Add(EventType.FundingDust);
        d.InstrumentId = ins.Id;
        d.Amount = dust;
        d.SetFundingRate(c.Amount);
    }

    /// <summary>Answers a query command with events; reads only. The answer is a function of the state alone (no clock,
    /// no thread state, no cache whose content depends on history: the margin sums are exact, the ADL ranking is
    /// recomputed from the positions and marks, ties broken by account id), so replaying the journal to the query's
    /// sequence gives it again byte for byte.</summary>
    private void Query(in Command c)
    {
        if (c.Type == CommandType.QueryAccount)
        {
            if (!_accounts.Exists(c.AccountId)) _entry.Reject(in c, RejectCode.UnknownAccount);
            else _reports.Answer(c.AccountId);
            // The querying user's next expected token comes from the core's state (account 0 asks for it alone).
            if (c.Origin != 0) _events.Last.SetNextToken(_tokens.NextToken(c.Origin));
            return;
        }
        if (c.InstrumentId != Command.AllInstruments && !_instruments.Exists(c.InstrumentId))
        {
            _entry.Reject(in c, RejectCode.UnknownInstrument);
            return;
        }
        var first = c.InstrumentId == Command.AllInstruments ? 0 : c.InstrumentId;
        var last = c.InstrumentId == Command.AllInstruments ? _instruments.Count - 1 : c.InstrumentId;
        for (var i = first; i <= last; i++)
        {
            var ins = _instruments[i];
            BookOrders(ins.Book.Own(Side.Buy));
            BookOrders(ins.Book.Own(Side.Sell));
            if (ins.HasMark)
            {
                ref var m = ref _events.Add(EventType.MarkPrice);
                m.InstrumentId = i;
                m.Price = ins.Mark;
            }
            // A late joiner must know the instrument is halted: the halt as it was announced (breaching mark, reference).
            if (!ins.Breaker.Halted) continue;
            ref var h = ref _events.Add(EventType.TradingHalted);
            h.InstrumentId = i;
            h.Price = ins.Mark;
            h.Amount = ins.Breaker.Reference;
        }
        _events.Add(EventType.InsuranceFund).Amount = _ledgers.Insurance;
    }

    private void BookOrders(BookSide book)
    {
        for (var l = book.FirstLevel(); l != -1; l = book.NextLevel(l))
            for (var h = book.HeadAt(l); h >= 0; h = _orders[h].Next)
                _events.AddOrderEvent(EventType.OrderRested, ref _orders[h]);
    }

    // ---- Queries: read-only views of the state, for the gateway, the scenario runner and tests. ----

    public int InstrumentCount => _instruments.Count;
    public InstrumentSpec Instrument(int id) => _instruments[id].Spec;
    public long Mark(int instrument) => _instruments[instrument].Mark;
    /// <summary>Whether the instrument's circuit breaker halts new risk-increasing orders.</summary>
    public bool IsHalted(int instrument) => _instruments[instrument].Breaker.Halted;
    public long Insurance => _ledgers.Insurance;
    public long Fees => _ledgers.Fees;
    /// <summary>The exchange ledger: loss the exchange absorbed (zero or negative).</summary>
    public long ExchangeLedger => _ledgers.Exchange;
    /// <summary>All deposits ever accepted (accounts and insurance).</summary>
    public Int128 Deposits => _ledgers.Deposits;
    public Int128 Withdrawals => _ledgers.Withdrawals;
    /// <summary>Collateral held: deposits net of withdrawals, bounded by <see cref="ExchangeOptions.MaxTotalHeld"/>.</summary>
    public Int128 Held => _ledgers.Held;
    public long LastOrderId => _entry.LastOrderId;
    /// <summary>The token <paramref name="origin"/>'s token space expects next (1 when it applied none).</summary>
    public uint NextToken(uint origin) => _tokens.NextToken(origin);
    public long LastTradeId => _matcher.LastTradeId;
    public int OpenOrderCount => _orders.Count;

    /// <summary>Highest account id created; ids 1..MaxAccountId may exist.</summary>
    public int MaxAccountId => _accounts.MaxId;
    public bool AccountExists(int account) => _accounts.Exists(account);
    public long Balance(int account) => _accounts.Balance(account);
    public long PositionQty(int account, int instrument) => _accounts.Position(account, instrument).Qty;
    public long PositionCost(int account, int instrument) => _accounts.Position(account, instrument).Cost;
    public long OpenBuyLots(int account, int instrument) => _accounts.Position(account, instrument).BuyLots;
    public long OpenSellLots(int account, int instrument) => _accounts.Position(account, instrument).SellLots;
    public long Upnl(int account, int instrument) => _margin.Upnl(account, instrument);
    public long Equity(int account) => _margin.Equity(account);
    public long MaintenanceMargin(int account) => _margin.Maintenance(account);
    /// <summary>E - order_loss - IM: what the account could still commit.</summary>
    public long FreeMargin(int account) => (long)_margin.FreeMargin(account, 0, Side.Buy, 0, 0, -1);
    public bool IsLiquidatable(int account) => _margin.IsLiquidatable(account);
    public int OpenOrders(int account) => _accounts.OrderCount(account);

    /// <summary>The place (0 = first to be deleveraged) of the account's position in its side's ADL queue, or -1.</summary>
    public int AdlRank(int account, int instrument) => _adl.RankOf(account, instrument, out _);
    /// <summary>The ADL indicator traders see: 5 (first fifth of the queue) down to 1, 0 when flat.</summary>
    public int AdlQuintile(int account, int instrument) => _adl.Quintile(account, instrument);
    /// <summary>The ranked ADL queue of one side of an instrument (valid until the next call).</summary>
    public ReadOnlySpan<AdlRank> AdlQueueOf(int instrument, bool longs) => _adl.Rank(instrument, longs);

    /// <summary>Positions in the liquidation index's heaps for an instrument (tests, benchmarks).</summary>
    public int WatchedPositions(int instrument) => _index.WatchedCount(instrument);

    /// <summary>Exact account re-evaluations the liquidation index has made (tests, benchmarks).</summary>
    public long IndexEvaluations => _index.Evaluations;

    /// <summary>Levels of one side of a book, best first: fills <paramref name="levels"/>, returns how many.</summary>
    public int Depth(int instrument, Side side, Span<BookLevel> levels)
    {
        var book = _instruments[instrument].Book.Own(side);
        var n = 0;
        for (var l = book.FirstLevel(); l != -1 && n < levels.Length; l = book.NextLevel(l))
            levels[n++] = new BookLevel(book.PriceAt(l), book.TotalAt(l));
        return n;
    }

    /// <summary>The resting orders of one side of a book in priority order (allocates: for tests and snapshots).</summary>
    public List<OrderView> OrdersInBook(int instrument, Side side)
    {
        var list = new List<OrderView>();
        var book = _instruments[instrument].Book.Own(side);
        for (var l = book.FirstLevel(); l != -1; l = book.NextLevel(l))
            for (var h = book.HeadAt(l); h >= 0; h = _orders[h].Next) list.Add(View(h));
        return list;
    }

    /// <summary>The account's open orders, oldest first (allocates: for queries and tests).</summary>
    public List<OrderView> OrdersOf(int account)
    {
        var list = new List<OrderView>();
        if (!_accounts.Exists(account)) return list;
        for (var h = _accounts.OrderHead(account); h >= 0; h = _orders[h].AccountNext) list.Add(View(h));
        return list;
    }

    public bool TryGetOrder(long orderId, out OrderView order)
    {
        order = default;
        if (!_orders.TryGetById(orderId, out var h)) return false;
        order = View(h);
        return true;
    }

    private OrderView View(int h)
    {
        ref var o = ref _orders[h];
        return new OrderView(o.Id, o.ClientOrderId, o.AccountId, o.InstrumentId, o.Side, o.Price, o.Remaining, o.Stp, o.PostOnly);
    }
}
