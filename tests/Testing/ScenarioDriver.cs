using Exchange.Core.Commands;
using CoreExchange = Exchange.Core.Exchange;

namespace Exchange.Testing;

/// <summary>
/// Turns a scenario's intents into concrete, sequenced commands, reading the state they meet through the core's
/// public queries (marks, equity, positions, open orders). Deterministic: the same intents against the same state
/// give the same commands, so a recorded command list replays exactly.
/// </summary>
public sealed class ScenarioDriver
{
    /// <summary>Number of <see cref="IntentKind.Invalid"/> variants.</summary>
    public const int InvalidVariants = 27;
    private const long Million = 1_000_000;
    private readonly Scenario _scenario;
    private readonly CoreExchange _state;
    private long _sequence;

    public ScenarioDriver(Scenario scenario, CoreExchange state)
    {
        _scenario = scenario;
        _state = state;
    }

    /// <summary>Creates a core with the scenario's options and instruments.</summary>
    public static CoreExchange NewCore(Scenario s)
    {
        var x = new CoreExchange(s.Options);
        foreach (var spec in s.Instruments) x.AddInstrument(spec);
        return x;
    }

    /// <summary>Creates a reference model with the scenario's options and instruments.</summary>
    public static ReferenceExchange NewModel(Scenario s)
    {
        var m = new ReferenceExchange(s.Options);
        foreach (var spec in s.Instruments) m.AddInstrument(spec);
        return m;
    }

    public Command Next(Intent intent)
    {
        var c = Materialize(intent);
        c.Sequence = ++_sequence;
        return c;
    }

    private int AccountId(Intent i) => 1 + Math.Abs(i.Account) % _scenario.AccountCount * _scenario.AccountStride;
    private int InstrumentId(Intent i) => Math.Abs(i.Instrument) % _scenario.Instruments.Count;

    private long MarkOf(int instrument)
    {
        var m = _state.Mark(instrument);
        return m > 0 ? m : _scenario.InitialMarks[instrument];
    }

    private static long Offset(long price, long ppm) => Math.Max(1, (long)((Int128)price * (Million + ppm) / Million));

    private static long Fraction(long lots, long ppm) => Math.Max(1, (long)((Int128)lots * ppm / Million));

    /// <summary>Lots the account's free margin could still add at full leverage (at least 1).</summary>
    private long Capacity(int account, int instrument)
    {
        if (!_state.AccountExists(account)) return 1;
        var spec = _scenario.Instruments[instrument];
        var perLot = Math.Max(1, (long)((Int128)MarkOf(instrument) * spec.TickValue * spec.ImrPpm / Million));
        return Math.Max(1, _state.FreeMargin(account) / perLot);
    }

    /// <summary>The intent's account, or when <paramref name="useful"/> fails for it, the next account for which it holds.</summary>
    private int AccountWhere(int preferred, Func<int, bool> useful)
    {
        var first = (preferred - 1) / _scenario.AccountStride;
        for (var k = 0; k < _scenario.AccountCount; k++)
        {
            var a = 1 + (first + k) % _scenario.AccountCount * _scenario.AccountStride;
            if (_state.AccountExists(a) && useful(a)) return a;
        }
        return preferred;
    }

    private Command Materialize(Intent i)
    {
        var a = AccountId(i);
        var ins = InstrumentId(i);
        var spec = _scenario.Instruments[ins];
        var mark = MarkOf(ins);
        switch (i.Kind)
        {
            case IntentKind.Deposit: return Command.DepositTo(a, i.Y);
            case IntentKind.InsuranceDeposit: return Command.InsuranceDeposit(i.Y);
            case IntentKind.MarkTo: return Command.Mark(ins, i.X);
            case IntentKind.MarkMove:
            {
                // A random walk kept within a factor of 5 of the start, so prices neither vanish nor explode.
                var start = _scenario.InitialMarks[ins];
                var next = Math.Clamp(Offset(mark, i.X), Math.Max(1, start / 5), Math.Min(start * 5, spec.MaxPrice));
                return Command.Mark(ins, next);
            }
            case IntentKind.Order:
            {
                var lots = Math.Min(Fraction(Capacity(a, ins), i.Y), spec.MaxOrderLots);
                return Command.NewOrder(a, ins, i.Side, i.Type, i.Type == OrderType.Market ? 0 : Offset(mark, i.X), lots, i.Tif,
                    i.Flags, i.Stp, i.ClientOrderId);
            }
            case IntentKind.ExactOrder:
                return Command.NewOrder(a, ins, i.Side, i.Type, i.X, i.Y, i.Tif, i.Flags, i.Stp, i.ClientOrderId);
            case IntentKind.CloseOrder:
            {
                a = AccountWhere(a, x => _state.PositionQty(x, ins) != 0);
                var q = _state.AccountExists(a) ? _state.PositionQty(a, ins) : 0;
                var side = q > 0 ? Side.Sell : q < 0 ? Side.Buy : i.Side;
                var lots = Math.Min(Fraction(Math.Max(1, Math.Abs(q)), i.Y), spec.MaxOrderLots);
                // Price relative to the mark on the side that trades: X is a concession to the book.
                var px = Offset(mark, side == Side.Buy ? Math.Abs(i.X) : -Math.Abs(i.X));
                return Command.NewOrder(a, ins, side, i.Type, i.Type == OrderType.Market ? 0 : px, lots, i.Tif, i.Flags, i.Stp,
                    i.ClientOrderId);
            }
            case IntentKind.Amend:
            case IntentKind.Cancel:
            {
                a = AccountWhere(a, x => _state.OpenOrders(x) > 0);
                var (orderId, cid, remaining, instrument) = PickOrder(a, i);
                if (i.Kind == IntentKind.Cancel) return Command.CancelOrder(a, orderId, cid);
                var newPrice = i.X == 0 ? 0 : Offset(instrument >= 0 ? MarkOf(instrument) : mark, i.X);
                var newQty = i.Y == 0 ? 0 : Fraction(Math.Max(1, remaining), i.Y);
                return Command.AmendOrder(a, orderId, newPrice, newQty, cid);
            }
            case IntentKind.CancelAll: return Command.CancelAllOrders(a, i.Ref % 3 == 0 ? Command.AllInstruments : ins);
            case IntentKind.Funding: return Command.FundingAt(ins, i.X);
            case IntentKind.Resume: return Command.Resume(ins);
            case IntentKind.Withdraw:
            {
                var balance = _state.AccountExists(a) ? _state.Balance(a) : 0;
                return Command.WithdrawFrom(a, balance > 0 ? Fraction(balance, i.Y) : 1);
            }
            default: return Invalid(i, a, ins, mark);
        }
    }

    /// <summary>An open order of the account (by exchange or client id), or a plausible id that may not be one.</summary>
    private (long OrderId, long ClientOrderId, long Remaining, int Instrument) PickOrder(int account, Intent i)
    {
        var orders = _state.AccountExists(account) ? _state.OrdersOf(account) : [];
        if (i.Ref < 0 || orders.Count == 0)
        {
            // Ids are sequential, so a small integer is often a real order: filled, cancelled, or someone else's.
            var id = Math.Abs((long)i.Ref) % (_state.LastOrderId + 2);
            return i.ByClientId ? (0, i.ClientOrderId, 1, -1) : (id, 0, 1, -1);
        }
        var o = orders[i.Ref % orders.Count];
        return i.ByClientId ? (0, o.ClientOrderId, o.Remaining, o.InstrumentId) : (o.OrderId, 0, o.Remaining, o.InstrumentId);
    }

    private Command Invalid(Intent i, int a, int ins, long mark)
    {
        var spec = _scenario.Instruments[ins];
        var unknownAccount = _scenario.AccountCount * _scenario.AccountStride + 7;
        var lots = Fraction(Capacity(a, ins), 100_000);
        var px = Offset(mark, 0);
        return (i.Ref % InvalidVariants) switch
        {
            0 => Command.Limit(unknownAccount, ins, i.Side, px, lots),
            1 => Command.Limit(a, _scenario.Instruments.Count + 3, i.Side, px, lots),
            2 => Command.Limit(a, ins, i.Side, px, 0),
            3 => Command.Limit(a, ins, i.Side, px, -3),
            4 => Command.Limit(a, ins, i.Side, 0, lots),
            5 => Command.Limit(a, ins, i.Side, -10, lots),
            6 => Command.Limit(a, ins, i.Side, i.Side == Side.Buy ? mark * 2 : Math.Max(1, mark / 2), lots),
            7 => Command.NewOrder(a, ins, i.Side, OrderType.Limit, px, lots, TimeInForce.Ioc, OrderFlags.PostOnly),
            8 => Command.NewOrder(a, ins, i.Side, OrderType.Limit, px, lots, TimeInForce.Gtc, OrderFlags.ReduceOnly),
            9 => Command.DepositTo(a, 0),
            10 => Command.DepositTo(0, 1000),
            11 => Command.DepositTo(int.MaxValue, 1000),
            12 => Command.WithdrawFrom(unknownAccount, 10),
            13 => Command.WithdrawFrom(a, -5),
            14 => Command.Mark(ins, 0),
            15 => Command.Mark(ins, spec.MaxPrice + 1),
            16 => Command.FundingAt(_scenario.Instruments.Count + 1, 100),
            17 => Command.CancelOrder(a, 1_000_000_007),
            18 => Command.AmendOrder(a, PickOrder(a, i).OrderId, 0, -1),
            19 => Command.NewOrder(a, ins, (Side)7, OrderType.Limit, px, lots),
            20 => new Command { Type = CommandType.None, AccountId = a },
            21 => Command.CancelAllOrders(a, _scenario.Instruments.Count + 2),
            22 => Command.InsuranceDeposit(0),
            23 => Command.AmendOrder(a, PickOrder(a, i).OrderId, mark * 3, 0),
            24 => Command.Limit(a, ins, i.Side, px, spec.MaxOrderLots + 1),
            25 => Command.NewOrder(a, ins, i.Side, OrderType.Market, 0, lots, TimeInForce.Gtc, OrderFlags.PostOnly),
            _ => Command.Limit(a, ins, i.Side, spec.MaxPrice + 1, lots),
        };
    }
}
