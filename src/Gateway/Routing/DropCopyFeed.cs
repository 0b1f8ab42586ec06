using Exchange.Client.Protocol;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Gateway.Protocol;
using Exchange.Gateway.Streams;

namespace Exchange.Gateway.Routing;

/// <summary>
/// The drop copy (docs/protocol.md section 13): each trade's execution report, with token 0, in the group stream of
/// each side's account, in event order. Output thread only. Lock contract: takes one group's
/// <see cref="UserStream.Gate"/> at a time, around each append; notifies the groups it appended to at the end of the
/// command, into the output side's <see cref="WakeBatch"/>.
/// </summary>
internal sealed class DropCopyFeed(IReadOnlyDictionary<int, UserStream> groups)
{
    private readonly List<UserStream> _touched = [];

    /// <summary>Whether any group is configured (none: the feed is skipped).</summary>
    public bool Any => groups.Count > 0;

    /// <summary>One command's events (output thread).</summary>
    public void OnCommand(ReadOnlySpan<Event> events, WakeBatch wakes)
    {
        foreach (ref readonly var e in events)
        {
            if (e.Type != EventType.Trade) continue;
            var liquidation = (e.Flags & EventFlags.Liquidation) != 0;
            if (groups.TryGetValue(e.AccountId, out var group))
                lock (group.Gate)
                    Appended(group, OutboundEncoder.Executed(group.Log.Reserve(Outbound.OrderExecutedLength), e.Timestamp, 0,
                        e.AccountId, e.InstrumentId, e.OrderId, (uint)e.ClientOrderId, e.TradeId, (byte)e.Side,
                        liquidation ? Outbound.LiquidationOrder : Outbound.Taker, e.Price, e.Quantity, e.TakerFee));
            if (groups.TryGetValue(e.CounterpartyId, out group))
                lock (group.Gate)
                    Appended(group, OutboundEncoder.Executed(group.Log.Reserve(Outbound.OrderExecutedLength), e.Timestamp, 0,
                        e.CounterpartyId, e.InstrumentId, e.MakerOrderId, (uint)e.MakerClientOrderId, e.TradeId,
                        (byte)(e.Side == Side.Buy ? Side.Sell : Side.Buy), Outbound.Maker, e.Price, e.Quantity, e.MakerFee));
        }
        foreach (var g in _touched)
            lock (g.Gate) g.NotifyReaders(wakes);
        _touched.Clear();
    }

    /// <summary>Commits a reserved message of <paramref name="length"/> bytes (caller holds the group's gate).</summary>
    private void Appended(UserStream group, int length)
    {
        group.Log.Commit(length);
        // Groups are few: a list scan beats a set here.
        if (!_touched.Contains(group)) _touched.Add(group);
    }
}
