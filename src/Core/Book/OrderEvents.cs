using Exchange.Core.Events;

namespace Exchange.Core.Book;

/// <summary>The order's own fields on an event about it (rested, cancelled, amended, ...): one place that copies them.</summary>
internal static class OrderEvents
{
    /// <summary>Appends an event of <paramref name="type"/> carrying <paramref name="o"/>'s account, instrument, ids,
    /// side, price and remaining quantity; the caller sets what else the type carries.</summary>
    public static ref Event AddOrderEvent(this EventBuffer events, EventType type, ref Order o)
    {
        ref var e = ref events.Add(type);
        e.AccountId = o.AccountId;
        e.InstrumentId = o.InstrumentId;
        e.OrderId = o.Id;
        e.ClientOrderId = o.ClientOrderId;
        e.Side = o.Side;
        e.Price = o.Price;
        e.Quantity = o.Remaining;
        return ref e;
    }
}
