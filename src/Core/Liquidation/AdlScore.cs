namespace Exchange.Core.Liquidation;

/// <summary>
/// An ADL score held exactly as a signed 256-bit integer (two's complement: <see cref="High"/> signed, <see cref="Low"/>
/// unsigned). RULEBOOK section 8 step 3 compares scores exactly: for an insolvent holder lev is its notional x 1e6
/// (up to 2^80) and pnl reaches 2^83, so pnl x lev can pass 2^127. Saturating a factor instead collapsed distinct
/// scores into ties broken by account id (issue 19), so the product is widened rather than clamped.
/// </summary>
public readonly record struct AdlScore(Int128 High, UInt128 Low) : IComparable<AdlScore>
{
    /// <summary>A score that fits in Int128 (the negative branch, pnl x 1e6 / lev), sign-extended.</summary>
    public static AdlScore From(Int128 value) => new(value < 0 ? Int128.NegativeOne : Int128.Zero, (UInt128)value);

    /// <summary>The exact product of two non-negative factors (each below 2^127).</summary>
    public static AdlScore Product(Int128 a, Int128 b)
    {
        var high = MultiplyHigh((UInt128)a, (UInt128)b, out var low);
        return new AdlScore((Int128)high, low);
    }

    /// <summary>Schoolbook 128 x 128 -> 256 on 64-bit halves: returns the high 128 bits.</summary>
    private static UInt128 MultiplyHigh(UInt128 a, UInt128 b, out UInt128 low)
    {
        var a0 = (ulong)a;
        var a1 = (ulong)(a >> 64);
        var b0 = (ulong)b;
        var b1 = (ulong)(b >> 64);
        var p00 = (UInt128)a0 * b0;
        var p01 = (UInt128)a0 * b1;
        var p10 = (UInt128)a1 * b0;
        var p11 = (UInt128)a1 * b1;
        // Three terms below 2^64 each: the sum cannot overflow 128 bits.
        var middle = (p00 >> 64) + (ulong)p01 + (ulong)p10;
        low = (middle << 64) | (ulong)p00;
        return p11 + (p01 >> 64) + (p10 >> 64) + (middle >> 64);
    }

    public int CompareTo(AdlScore other)
    {
        var c = High.CompareTo(other.High);
        return c != 0 ? c : Low.CompareTo(other.Low);
    }

    public static bool operator <(AdlScore a, AdlScore b) => a.CompareTo(b) < 0;
    public static bool operator >(AdlScore a, AdlScore b) => a.CompareTo(b) > 0;
    public static bool operator <=(AdlScore a, AdlScore b) => a.CompareTo(b) <= 0;
    public static bool operator >=(AdlScore a, AdlScore b) => a.CompareTo(b) >= 0;

    /// <summary>The exact value, for diagnostics and tests (allocates).</summary>
    public System.Numerics.BigInteger ToBigInteger() =>
        ((System.Numerics.BigInteger)High << 128) + (System.Numerics.BigInteger)Low;

    public override string ToString() => ToBigInteger().ToString(System.Globalization.CultureInfo.InvariantCulture);
}
