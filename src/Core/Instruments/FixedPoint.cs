namespace Exchange.Core.Instruments;

/// <summary>
/// Exact integer arithmetic of RULEBOOK section 1. C#'s <c>/</c> truncates toward zero, which is neither floor nor
/// ceiling for negative numerators, so every rounding direction is spelled out here.
/// </summary>
public static class FixedPoint
{
    /// <summary>One million: the denominator of every ppm rate.</summary>
    public const long Million = 1_000_000;

    /// <summary>floor(a / b) for b &gt; 0.</summary>
    public static Int128 FloorDiv(Int128 a, Int128 b)
    {
        var q = a / b;
        return (a % b != 0 && a < 0) ? q - 1 : q;
    }

    /// <summary>ceil(a / b) for b &gt; 0.</summary>
    public static Int128 CeilDiv(Int128 a, Int128 b)
    {
        var q = a / b;
        return (a % b != 0 && a > 0) ? q + 1 : q;
    }

    /// <summary>
    /// The quote of |lots| at a price: lots x price x tick_value, in collateral units. The same value as the cast of the
    /// Int128 product to long (its low 64 bits): multiplication modulo 2^64 gives the low 64 bits of the exact product,
    /// so the 64-bit product is equal for every input, without the two Int128 multiplications (calls) of every fill.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static long Quote(long lots, long price, long tickValue) => unchecked(lots * price * tickValue);

    // Below this notional a product with a rate of at most 1e6 (< 2^20) stays under 2^62, so the rounding can run in
    // 64-bit arithmetic: 128-bit division is the dominant cost of margin sums across many instruments (load test).
    private const long FastNotional = 1L << 42;

    /// <summary>
    /// upnl = q x m x tick_value - C, the value <c>(long)((Int128)q * m * tick_value - C)</c> gives, for every input:
    /// casting an Int128 to long keeps its low 64 bits, and the low 64 bits of a sum or product depend only on the low
    /// 64 bits of the operands (arithmetic modulo 2^64 is a quotient of arithmetic modulo 2^128), so the wrapping 64-bit
    /// expression is the same number. Run for every holder a socialization measures, scores or reports, and for every
    /// position's margin terms (FixedPointTests compares it with the Int128 expression and a BigInteger one).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static long Upnl(long qty, long mark, long tickValue, long cost) => unchecked(qty * mark * tickValue - cost);

    /// <summary>
    /// |lots| x price x tick_value when it is below 2^42 (where <see cref="CeilPpm(Int128, long)"/> rounds in 64 bits): true and the
    /// exact product; false (and 0) otherwise, for the caller's Int128 path. Exact for every input: the factors are
    /// multiplied as unsigned 128-bit products with zero high halves checked, so <paramref name="notional"/> is the
    /// product of the unsigned readings of the factors; if it is 0 a factor is 0 (and so is the signed product), and
    /// if it is below 2^42 and not 0 each factor read as unsigned is below 2^42, so none was negative (a negative long
    /// reads as at least 2^63) and the unsigned product is the signed one.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static bool SmallNotional(long lots, long price, long tickValue, out long notional)
    {
        var magnitude = lots < 0 ? unchecked(0UL - (ulong)lots) : (ulong)lots;
        var qm = Multiply(magnitude, (ulong)price);
        if (qm.High == 0)
        {
            var n = Multiply(qm.Low, (ulong)tickValue);
            if (n.High == 0 && n.Low < FastNotional)
            {
                notional = (long)n.Low;
                return true;
            }
        }
        notional = 0;
        return false;
    }

    /// <summary>
    /// The unsigned 128-bit product a x b, as <see cref="Math.BigMul(ulong, ulong, out ulong)"/> gives it, in registers.
    /// When both factors are below 2^32 (every realistic lot count, price in ticks, tick value, ppm-scaled ratio) the
    /// product is below 2^64 and one 64-bit multiplication gives it exactly, with a zero high half; otherwise
    /// <see cref="MultiplyWide"/>, out of line. <c>Math.BigMul</c>'s out parameter is address-exposed: the JIT stores the
    /// low half to the stack and loads it back, and every local it touches lives on the stack, which the profiles of a
    /// socialization put among the hottest instructions of the margin sums' rebuild and the ADL score
    /// (docs/benchmarks.md). <c>FixedPointTests</c> compares it with <c>Math.BigMul</c> around the 2^32 bound.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static Wide Multiply(ulong a, ulong b) => ((a | b) >> 32) == 0 ? new Wide(0, a * b) : MultiplyWide(a, b);

    /// <summary><see cref="Multiply"/> for factors of any size.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    internal static Wide MultiplyWide(ulong a, ulong b)
    {
        var high = Math.BigMul(a, b, out var low);
        return new Wide(high, low);
    }

    /// <summary>An unsigned 128-bit product as two halves (returned in two registers).</summary>
    internal readonly record struct Wide(ulong High, ulong Low);

    /// <summary>The reciprocal <see cref="DivideByReciprocal"/> takes for the divisor <paramref name="d"/> &gt;= 1:
    /// floor((2^64 - 1) / d), one division for any number of quotients by the same d.</summary>
    internal static ulong ReciprocalOf(ulong d) => ulong.MaxValue / d;

    /// <summary>
    /// floor(n / d) and n mod d for d &gt;= 1, from R = <see cref="ReciprocalOf"/>(d) with a multiplication instead of
    /// a division (the socializer divides every payer's D x w by the same W). Exact for every n and d: R &gt;= (2^64 - d)
    /// / d, so n x R / 2^64 &gt;= n / d - n / 2^64 &gt; n / d - 1 and its floor q' = high half of n x R is &gt; n / d - 2,
    /// i.e. q' &gt;= floor(n / d) - 1; and R &lt; 2^64 / d gives q' &lt;= n / d. So r' = n - q' x d (no underflow) is below
    /// 2d, and one correction (r' &gt;= d: q' + 1, r' - d) gives the quotient and remainder. <c>FixedPointTests</c>
    /// compares it with the division on the bounds (d = 1, powers of two, 2^64 - 1; n around multiples of d) and at random.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static Wide DivideByReciprocal(ulong n, ulong d, ulong reciprocal)
    {
        var q = MultiplyHigh(n, reciprocal);
        var r = n - q * d;
        if (r >= d)
        {
            q++;
            r -= d;
        }
        // High = quotient, Low = remainder.
        return new Wide(q, r);
    }

    /// <summary>The high 64 bits of the unsigned product a x b, in registers (<c>mulx</c> where BMI2 is present).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static ulong MultiplyHigh(ulong a, ulong b) =>
        System.Runtime.Intrinsics.X86.Bmi2.X64.IsSupported
            ? System.Runtime.Intrinsics.X86.Bmi2.X64.MultiplyNoFlags(a, b)
            : (ulong)(((UInt128)a * b) >> 64);

    /// <summary>
    /// <c>(long)((Int128)a * b / c)</c> for every input: the product divided with truncation toward zero, as Int128
    /// division truncates, its low 64 bits kept as the cast keeps them. A fill reducing a position takes its pro-rata
    /// share of the cost basis (and a flip its share of the quote) this way, once or twice per fill. When b &gt;= 0,
    /// c &gt; 0 and |a| x b is below 2^64 (formed by <see cref="Multiply"/>, whose high half is then 0), the quotient is
    /// sign(a) x floor(|a| x b / c), and floor of a non-negative quotient is the unsigned 64-bit division's; negating
    /// or casting that quotient keeps the low 64 bits as the Int128 path does. Anything else takes the Int128 path
    /// (<c>FixedPointTests</c> compares both with BigInteger on random inputs and the bounds).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static long MulDiv(long a, long b, long c)
    {
        if (b >= 0 && c > 0)
        {
            var magnitude = a < 0 ? unchecked(0UL - (ulong)a) : (ulong)a;
            var product = Multiply(magnitude, (ulong)b);
            if (product.High == 0)
            {
                var q = product.Low / (ulong)c;
                return a < 0 ? unchecked(0L - (long)q) : unchecked((long)q);
            }
        }
        return MulDivWide(a, b, c);
    }

    /// <summary><see cref="MulDiv"/> in Int128, out of line.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    internal static long MulDivWide(long a, long b, long c) => (long)((Int128)a * b / c);

    /// <summary>
    /// <c>(Int128)a * b * c</c> for every input (an order's loss: price difference x lots x tick value, for every order
    /// a command rests, moves or checks). When all three are non-negative and the products of <see cref="Multiply"/>
    /// have zero high halves, the product is below 2^64 and is that unsigned value; anything else takes the Int128
    /// multiplication (<c>FixedPointTests</c>).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static Int128 Product(long a, long b, long c)
    {
        if ((a | b | c) >= 0)
        {
            var ab = Multiply((ulong)a, (ulong)b);
            if (ab.High == 0)
            {
                var abc = Multiply(ab.Low, (ulong)c);
                if (abc.High == 0) return abc.Low;
            }
        }
        return ProductWide(a, b, c);
    }

    /// <summary><see cref="Product"/> in Int128, out of line.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    internal static Int128 ProductWide(long a, long b, long c) => (Int128)a * b * c;

    /// <summary><see cref="CeilPpm(Int128, long)"/> of a notional <see cref="SmallNotional"/> returned (0 &lt;= notional &lt;
    /// 2^42): the same 64-bit rounding <see cref="CeilPpm(Int128, long)"/> takes for it.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static long CeilPpmSmall(long notional, long ppm) =>
        (ulong)ppm <= Million ? (notional * ppm + (Million - 1)) / Million : CeilPpm(notional, ppm);

    /// <summary>ceil(notional x ppm / 1e6) for a non-negative notional: margin requirements and fees round up.</summary>
    public static long CeilPpm(Int128 notional, long ppm)
    {
        if (notional < FastNotional && (ulong)ppm <= Million)
            return ((long)notional * ppm + (Million - 1)) / Million;
        return (long)CeilDiv(notional * ppm, Million);
    }

    /// <summary>floor(notional x ppm / 1e6) for a non-negative notional: rebates round down.</summary>
    public static long FloorPpm(Int128 notional, long ppm)
    {
        if (notional < FastNotional && (ulong)ppm <= Million)
            return (long)notional * ppm / Million;
        return (long)FloorDiv(notional * ppm, Million);
    }

    /// <summary><see cref="CeilPpm(Int128, long)"/> of a 64-bit notional (a fill's fees on its quote), inlined: the same
    /// test and the same 64-bit rounding, and the Int128 method for anything else.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static long CeilPpm(long notional, long ppm) =>
        notional < FastNotional && (ulong)ppm <= Million ? (notional * ppm + (Million - 1)) / Million : CeilPpm((Int128)notional, ppm);

    /// <summary><see cref="FloorPpm(Int128, long)"/> of a 64-bit notional (a fill's rebate on its quote), inlined.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static long FloorPpm(long notional, long ppm) =>
        notional < FastNotional && (ulong)ppm <= Million ? notional * ppm / Million : FloorPpm((Int128)notional, ppm);

    /// <summary>Upper price of the band m x (1 + ppm/1e6), rounded down to a tick (a buy's limit).</summary>
    public static long BandHigh(long mark, long ppm)
    {
        // Every order and amend checks its band: with 0 <= m < 2^42 and 0 <= ppm <= 1e6 the product is below 2^63 and
        // non-negative, so 64-bit truncation is the floor (FixedPointTests checks the bounds against the 128-bit path).
        if ((ulong)mark < FastNotional && (ulong)ppm <= Million)
            return mark * (Million + ppm) / Million;
        return (long)FloorDiv((Int128)mark * (Million + ppm), Million);
    }

    /// <summary>Lower price of the band m x (1 - ppm/1e6), rounded up to a tick (a sell's limit).</summary>
    public static long BandLow(long mark, long ppm)
    {
        if ((ulong)mark < FastNotional && (ulong)ppm <= Million)
            return (mark * (Million - ppm) + (Million - 1)) / Million;
        return (long)CeilDiv((Int128)mark * (Million - ppm), Million);
    }

    /// <summary>Sign of a value as -1, 0 or 1.</summary>
    public static long Sign(long x) => x > 0 ? 1 : x < 0 ? -1 : 0;
}
