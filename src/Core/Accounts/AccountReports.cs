using System.Numerics;
using System.Runtime.CompilerServices;
using Exchange.Core.Events;
using Exchange.Core.Liquidation;
using Exchange.Core.Risk;

namespace Exchange.Core.Accounts;

/// <summary>
/// Ends each command with the state of every account it touched (<see cref="EventTouches"/>): a <see cref="EventType.PositionState"/> per touched instrument, then an
/// <see cref="EventType.AccountState"/>, computed on the business-logic thread while the account is in cache. Also
/// answers account queries the same way, with the ADL indicator. Allocation-free once the account arrays cover the
/// population (they grow with the account store, out of line).
/// </summary>
internal sealed class AccountReports
{
    private readonly AccountStore _accounts;
    private readonly MarginCalculator _margin;
    private readonly AdlQueue _adl;
    private readonly EventBuffer _events;
    // Per account: the command (a counter) that last touched it, and the instruments it touched then, side by side
    // (one cache line per account, not two).
    private Stamp[] _stamps;
    private int[] _touched;
    private int _count;
    // The command being applied (a counter; stamps start at 0, never a command).
    private long _command = 1;
    // Events [0, _scanned) of the command have had their touches recorded.
    private int _scanned;

    public AccountReports(AccountStore accounts, MarginCalculator margin, AdlQueue adl, EventBuffer events, int capacity)
    {
        _accounts = accounts;
        _margin = margin;
        _adl = adl;
        _events = events;
        capacity = Math.Max(capacity, 2);
        _stamps = new Stamp[capacity];
        _touched = new int[capacity];
    }

    /// <summary>Prefetches the account's stamp, which <see cref="AfterCommand"/> reads for an account a fill touched
    /// (see <see cref="CacheLines"/>); any id may be passed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(int account)
    {
        if ((uint)account < (uint)_stamps.Length) CacheLines.Prefetch(ref _stamps[account]);
    }

    /// <summary>Records the touches of the events added since the last call (or the command's start), in order.</summary>
    public void CatchUp()
    {
        var n = _events.Count;
        for (var i = _scanned; i < n; i++)
        {
            var touched = EventTouches.Accounts(in _events[i], out var first, out var second, out var instrument);
            if (touched > 0) Touch(first, instrument);
            if (touched > 1) Touch(second, instrument);
        }
        _scanned = n;
    }

    /// <summary>
    /// Records the touch of the event just added, which touches <paramref name="account"/> alone and no instrument
    /// (a haircut: <see cref="EventTouches"/>), when every earlier event's touches are recorded (after
    /// <see cref="CatchUp"/>); otherwise leaves it to the scan. The touches and their order are the scan's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void TouchedAlone(int account)
    {
        if (_scanned != _events.Count - 1) return;
        Touch(account, -1);
        _scanned++;
    }

    /// <summary>Appends the state events of the accounts the command's events (all those in the buffer) touched.</summary>
    public void AfterCommand()
    {
        CatchUp();
        for (var i = 0; i < _count; i++)
        {
            var a = _touched[i];
            for (var mask = _stamps[a].Instruments; mask != 0; mask &= mask - 1)
                Position(a, BitOperations.TrailingZeroCount(mask), adlQuintile: 0);
            Account(a);
        }
        _command++;
        _count = 0;
        _scanned = 0;
    }

    /// <summary>
    /// A query's answer: a <see cref="EventType.PositionState"/> (with the ADL indicator) per instrument where the
    /// account holds a position or open orders, ascending, then its <see cref="EventType.AccountState"/>. Ranking an
    /// ADL side costs a pass over its holders: paid here, on request, never per fill.
    /// </summary>
    public void Answer(int account)
    {
        for (var mask = _accounts.ActiveMask(account); mask != 0; mask &= mask - 1)
        {
            var i = BitOperations.TrailingZeroCount(mask);
            ref var p = ref _accounts.Position(account, i);
            if (p.IsIdle) continue;
            Position(account, i, p.Qty == 0 ? 0 : _adl.Quintile(account, i));
        }
        Account(account);
    }

    private void Position(int account, int instrument, int adlQuintile)
    {
        ref var p = ref _accounts.Position(account, instrument);
        ref var e = ref _events.Add(EventType.PositionState);
        e.AccountId = account;
        e.InstrumentId = instrument;
        e.SetPositionState(p.Qty, p.Cost, _margin.Upnl(account, instrument), p.BuyLots, p.SellLots, adlQuintile);
    }

    private void Account(int account)
    {
        _margin.State(account, out var equity, out var im, out var mm, out var free);
        ref var e = ref _events.Add(EventType.AccountState);
        e.AccountId = account;
        e.SetAccountState(_accounts.Balance(account), equity, im, mm, free, _accounts.OrderCount(account));
    }

    private void Touch(int account, int instrument)
    {
        if (account >= _stamps.Length) Grow(account);
        ref var stamp = ref _stamps[account];
        if (stamp.Command != _command)
        {
            stamp.Command = _command;
            stamp.Instruments = 0;
            _touched[_count++] = account;
        }
        if (instrument >= 0) stamp.Instruments |= 1UL << instrument;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int account)
    {
        var n = Math.Max(_stamps.Length * 2, account + 1);
        Array.Resize(ref _stamps, n);
        Array.Resize(ref _touched, n);
    }

    private struct Stamp
    {
        public long Command;
        public ulong Instruments;
    }
}
