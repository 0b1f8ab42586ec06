using System.Numerics;

namespace Exchange.Gateway.Stress;

/// <summary>An exact fraction of money units.</summary>
internal readonly record struct Ratio(BigInteger Numerator, BigInteger Denominator)
{
    /// <summary>Rounded to the nearest unit, halves away from zero.</summary>
    public BigInteger Rounded()
    {
        var q = BigInteger.DivRem(BigInteger.Abs(Numerator) * 2 + Denominator, Denominator * 2, out _);
        return Numerator.Sign < 0 ? -q : q;
    }
}

/// <summary>VaR and expected shortfall of a loss at one confidence level (ppm).</summary>
internal readonly record struct TailRisk(long LevelPpm, long ValueAtRisk, Ratio ExpectedShortfall);

/// <summary>
/// The distribution of one loss over all shocks, exactly: the mean, the largest, how many shocks had any, and VaR and
/// expected shortfall at each level. With the losses sorted L(1) &lt;= ... &lt;= L(N), a level p and k = ceil(pN):
/// VaR_p = L(k), the smallest loss not exceeded in a fraction p of the shocks; ES_p = (sum of L(i) for i &gt; k
/// + (k - pN) L(k)) / ((1 - p) N), the mean of the worst (1 - p) of the shocks, counting L(k) for the part of it
/// that falls in that tail (Acerbi and Tasche). Computed in integers from ppm levels: nothing is rounded until shown.
/// </summary>
internal sealed record LossStatistics(Ratio Mean, long Max, int NonZero, IReadOnlyList<TailRisk> Tails)
{
    public const long Million = 1_000_000;

    public static LossStatistics Of(IReadOnlyList<long> losses, IReadOnlyList<long> levelsPpm)
    {
        var n = losses.Count;
        var sorted = new long[n];
        for (var i = 0; i < n; i++) sorted[i] = losses[i];
        Array.Sort(sorted);
        BigInteger sum = 0;
        var nonZero = 0;
        foreach (var l in sorted)
        {
            sum += l;
            if (l != 0) nonZero++;
        }
        var tails = new List<TailRisk>(levelsPpm.Count);
        foreach (var p in levelsPpm) tails.Add(Tail(sorted, p));
        return new LossStatistics(new Ratio(sum, Math.Max(n, 1)), n == 0 ? 0 : sorted[^1], nonZero, tails);
    }

    /// <param name="sorted">Losses in ascending order.</param>
    /// <param name="p">The level in ppm, 0 &lt; p &lt; 1,000,000.</param>
    public static TailRisk Tail(long[] sorted, long p)
    {
        var n = sorted.Length;
        if (n == 0) return new TailRisk(p, 0, new Ratio(0, 1));
        // k = ceil(p N / 1e6), 1-based.
        var k = (int)(((Int128)p * n + Million - 1) / Million);
        k = Math.Clamp(k, 1, n);
        BigInteger above = 0;
        for (var i = k; i < n; i++) above += sorted[i];
        var numerator = Million * above + ((BigInteger)k * Million - (BigInteger)p * n) * sorted[k - 1];
        var denominator = (BigInteger)(Million - p) * n;
        return new TailRisk(p, sorted[k - 1], new Ratio(numerator, denominator));
    }
}
