using System.Numerics;
using Exchange.Core.Book;

namespace Exchange.Testing;

/// <summary>One account's state: cash, per instrument position and open order lots, and its open orders.</summary>
public sealed record AccountSnapshot(int Id, BigInteger Balance, BigInteger[] Qty, BigInteger[] Cost, BigInteger[] BuyLots,
    BigInteger[] SellLots, IReadOnlyList<OrderView> Orders, BigInteger FreeMargin);
