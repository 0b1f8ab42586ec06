using System.Numerics;

namespace Exchange.Testing;

/// <summary>Signed lots and signed cost basis of one account in one instrument (RULEBOOK section 3).</summary>
public sealed class RefPosition
{
    public BigInteger Qty { get; set; }
    public BigInteger Cost { get; set; }
}
