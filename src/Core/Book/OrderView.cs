using Exchange.Core.Commands;

namespace Exchange.Core.Book;

/// <summary>A read-only copy of a resting order.</summary>
public readonly record struct OrderView(long OrderId, long ClientOrderId, int AccountId, int InstrumentId, Side Side,
    long Price, long Remaining, SelfTradePrevention Stp, bool PostOnly);
