using System.Numerics;

namespace Exchange.Testing;

/// <summary>
/// Exact integer arithmetic for the reference model: unbounded <see cref="BigInteger"/>s with every rounding
/// direction spelled out (BigInteger division truncates toward zero, like C#'s <c>/</c>).
/// </summary>
public static class Exact
{
    public static readonly BigInteger Million = 1_000_000;

    /// <summary>floor(a / b) for b &gt; 0.</summary>
    public static BigInteger Floor(BigInteger a, BigInteger b)
    {
        if (b <= 0) throw new ArgumentOutOfRangeException(nameof(b));
        var q = BigInteger.DivRem(a, b, out var r);
        return r < 0 ? q - 1 : q;
    }

    /// <summary>ceil(a / b) for b &gt; 0.</summary>
    public static BigInteger Ceil(BigInteger a, BigInteger b)
    {
        if (b <= 0) throw new ArgumentOutOfRangeException(nameof(b));
        var q = BigInteger.DivRem(a, b, out var r);
        return r > 0 ? q + 1 : q;
    }

    /// <summary>a / b truncated toward zero (the rulebook's "truncated").</summary>
    public static BigInteger Trunc(BigInteger a, BigInteger b) => BigInteger.Divide(a, b);

    public static BigInteger Min(BigInteger a, BigInteger b) => a < b ? a : b;
    public static BigInteger Max(BigInteger a, BigInteger b) => a > b ? a : b;

    /// <summary>Narrows to <c>long</c> for an event field; a value outside <c>long</c> is a bug worth a loud failure.</summary>
    public static long ToLong(BigInteger x) =>
        x >= long.MinValue && x <= long.MaxValue ? (long)x : throw new OverflowException($"{x} does not fit in a long");
}
