using System.Runtime.CompilerServices;
using Exchange.Core.Instruments;
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static AdlScore Product(Int128 a, Int128 b)
    {
        var high = MultiplyHigh((UInt128)a, (UInt128)b, out var low);
        return new AdlScore((Int128)high, low);
    }

    /// <summary>
    /// The BitMEX score of RULEBOOK section 8 step 3 from a holder's upnl, cost basis C, signed lots q, the mark m,
    /// tick value and equity E: pnl = upnl x 1e6 / max(|C|, 1) (truncated), lev = |q| x m x tick_value x 1e6 /
    /// max(E, 1), score = pnl x lev when pnl &gt; 0, else pnl x 1e6 / max(lev, 1). Equal to <see cref="OfExact"/> for
    /// every input (AdlScoreTests compares them on random and edge inputs), in 64-bit arithmetic whenever that is
    /// provably exact. With L = floor((2^63 - 1) / 1e6) = 9,223,372,036,854:
    /// <list type="bullet">
    /// <item>|upnl| &lt;= L, so |upnl x 1e6| &lt;= 2^63 - 1: the numerator of pnl is a long, and the divisor
    /// max(|C|, 1) &gt;= 1, so pnl is a long and C#'s truncating long division equals Int128's.</item>
    /// <item>the notional |q| x m x tick_value, with m, tick_value &gt;= 0, is formed as an unsigned 128-bit product
    /// (<see cref="Math.BigMul(ulong, ulong, out ulong)"/>, high halves checked to be 0) and is &lt;= L, so notional x
    /// 1e6 &lt;= 2^63 - 1 and lev = notional x 1e6 / max(E, 1) is a non-negative long, truncated as in Int128.</item>
    /// <item>pnl &gt; 0: pnl, lev &lt; 2^63, so pnl x lev &lt; 2^126: one 64 x 64 -&gt; 128 multiply gives it exactly,
    /// and its 256-bit form has a zero high half, as <see cref="Product"/> would give.</item>
    /// <item>pnl &lt;= 0 and pnl &gt;= -L: pnl x 1e6 is a long, divided by max(lev, 1) &gt;= 1 (truncated as in Int128),
    /// sign-extended as <see cref="From"/> does.</item>
    /// </list>
    /// Outside those bounds (an insolvent whale: lev can reach 2^80, pnl 2^83) it takes the exact 128/256-bit path.
    /// Realistic holders are far inside them: a 1e6 USD notional is 2^40 micro-USD.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static AdlScore Of(long upnl, long cost, long qty, long mark, long tickValue, long equity)
    {
        Of(upnl, cost, qty, mark, tickValue, equity, out var score);
        return score;
    }

    /// <summary>
    /// <see cref="Of(long, long, long, long, long, long)"/> written to <paramref name="score"/>, which may be a field of
    /// an array element: the ADL queue's build writes each holder's score straight into its entry (a returned 32-byte
    /// struct was stored piecewise to the stack and read back whole, a stalled store forward per holder).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Of(long upnl, long cost, long qty, long mark, long tickValue, long equity, out AdlScore score)
    {
        // Inlined into the ADL queue's build (a call per holder was a tenth of scoring it): the common case, every
        // factor and product below 2^32, where each product is one 64-bit multiplication. |q| and the mark read as
        // unsigned and below 2^32 are non-negative and their product is below 2^64; so is that times a tick value
        // below 2^32, and below L it is the notional of OfLong's bounds (upnl within +-L, mark and tick value >= 0):
        // the same quotients, and pnl x lev below 2^64 is its 128-bit product with a zero high half. Anything else,
        // and pnl <= 0 (one more division), takes OfLong, the same formulas with 128-bit products.
        const long limit = long.MaxValue / 1_000_000;
        var lots = qty < 0 ? unchecked(0UL - (ulong)qty) : (ulong)qty;
        if (upnl >= -limit && upnl <= limit && ((lots | (ulong)mark | (ulong)tickValue) >> 32) == 0)
        {
            var qm = lots * (ulong)mark;
            if ((qm >> 32) == 0)
            {
                var notional = qm * (ulong)tickValue;
                if (notional <= limit)
                {
                    var pnl = upnl * 1_000_000 / Math.Max(Math.Abs(cost), 1);
                    if (pnl > 0)
                    {
                        var lev = (long)notional * 1_000_000 / Math.Max(equity, 1);
                        if ((((ulong)pnl | (ulong)lev) >> 32) == 0)
                        {
                            score = new AdlScore(Int128.Zero, (ulong)pnl * (ulong)lev);
                            return;
                        }
                    }
                }
            }
        }
        OfLong(upnl, cost, qty, mark, tickValue, equity, out score);
    }

    /// <summary><see cref="Of(long, long, long, long, long, long, out AdlScore)"/> out of line, for every input: 64-bit
    /// quotients where the bounds above make them exact, else <see cref="OfExact"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void OfLong(long upnl, long cost, long qty, long mark, long tickValue, long equity, out AdlScore score)
    {
        const long limit = long.MaxValue / 1_000_000;
        if (upnl >= -limit && upnl <= limit && mark >= 0 && tickValue >= 0)
        {
            var c = Math.Max(Math.Abs(cost), 1);
            // Multiply: BigMul in registers (its out parameter spilled every local here to the stack).
            var qm = FixedPoint.Multiply((ulong)Math.Abs(qty), (ulong)mark);
            var n = FixedPoint.Multiply(qm.Low, (ulong)tickValue);
            var notional = n.Low;
            if (qm.High == 0 && n.High == 0 && notional <= limit)
            {
                var pnl = upnl * 1_000_000 / c;
                var lev = (long)notional * 1_000_000 / Math.Max(equity, 1);
                if (pnl > 0)
                {
                    var product = FixedPoint.Multiply((ulong)pnl, (ulong)lev);
                    score = new AdlScore(Int128.Zero, new UInt128(product.High, product.Low));
                    return;
                }
                if (pnl >= -limit)
                {
                    score = From(pnl * 1_000_000 / Math.Max(lev, 1));
                    return;
                }
            }
        }
        score = OfExact(upnl, cost, qty, mark, tickValue, equity);
    }

    /// <summary>The score of <see cref="Of(long, long, long, long, long, long)"/> in 128-bit factors and a 256-bit product, for every input: the reference
    /// the 64-bit path is tested against. pnl &lt; 2^83 (upnl is a long) and lev &lt;= 2^80 (a notional is at most
    /// 2^60), so each factor fits in Int128 and only the product is widened.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static AdlScore OfExact(long upnl, long cost, long qty, long mark, long tickValue, long equity)
    {
        var pnl = (Int128)upnl * 1_000_000 / Math.Max(Math.Abs(cost), 1);
        var lev = (Int128)Math.Abs(qty) * mark * tickValue * 1_000_000 / Math.Max(equity, 1);
        return pnl > 0 ? Product(pnl, lev) : From(pnl * 1_000_000 / Int128.Max(lev, 1));
    }

    /// <summary>Schoolbook 128 x 128 -> 256 on 64-bit halves: returns the high 128 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
