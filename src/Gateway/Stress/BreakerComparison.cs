using System.Numerics;

namespace Exchange.Gateway.Stress;

/// <summary>One loss with breakers less the same loss without, over the same shocks.</summary>
/// <param name="Mean">Mean of the per-shock differences (= the difference of the means).</param>
/// <param name="Min">The largest reduction (most negative difference) of any shock.</param>
/// <param name="Max">The largest increase of any shock.</param>
/// <param name="Lower">Shocks in which the loss was lower with breakers.</param>
/// <param name="Higher">Shocks in which it was higher.</param>
/// <param name="Tails">Per level: VaR with less VaR without, and ES with less ES without.</param>
internal sealed record LossDifference(Ratio Mean, long Min, long Max, int Lower, int Higher,
    IReadOnlyList<(long LevelPpm, long ValueAtRisk, Ratio ExpectedShortfall)> Tails);

/// <summary>
/// <c>--breakers compare</c>: the same shocks run with circuit breakers (<see cref="With"/>) and without
/// (<see cref="Without"/>), and for each loss the difference, shock by shock (paired: shock k is the same path in both
/// runs) and of the tail statistics. Exact, like the statistics it compares.
/// </summary>
internal sealed class BreakerComparison
{
    /// <summary>The losses compared, in output order.</summary>
    public static readonly string[] Compared = ["socialized", "insurance_draw", "exchange_loss", "haircuts", "adl_shortfall"];

    public BreakerComparison(StressSummary with, StressSummary without)
    {
        With = with;
        Without = without;
        var a = with.Run.Outcomes;
        var b = without.Run.Outcomes;
        if (a.Length != b.Length) throw new ArgumentException("the two runs must have the same shocks");
        foreach (var o in a)
        {
            if (o.Halts > 0) HaltedShocks++;
            Halts += o.Halts;
            Refusals += o.HaltRefusals;
        }
        foreach (var name in Compared)
        {
            var read = Array.Find(StressSummary.Losses, l => l.Name == name).Value;
            BigInteger sum = 0;
            long min = 0, max = 0;
            int lower = 0, higher = 0;
            for (var k = 0; k < a.Length; k++)
            {
                var d = read(a[k]) - read(b[k]);
                sum += d;
                min = Math.Min(min, d);
                max = Math.Max(max, d);
                if (d < 0) lower++;
                else if (d > 0) higher++;
            }
            var sa = with.Statistics[name];
            var sb = without.Statistics[name];
            var tails = new List<(long, long, Ratio)>(sa.Tails.Count);
            for (var t = 0; t < sa.Tails.Count; t++)
            {
                var (ea, eb) = (sa.Tails[t].ExpectedShortfall, sb.Tails[t].ExpectedShortfall);
                tails.Add((sa.Tails[t].LevelPpm, sa.Tails[t].ValueAtRisk - sb.Tails[t].ValueAtRisk,
                    new Ratio(ea.Numerator * eb.Denominator - eb.Numerator * ea.Denominator, ea.Denominator * eb.Denominator)));
            }
            Differences[name] = new LossDifference(new Ratio(sum, Math.Max(a.Length, 1)), min, max, lower, higher, tails);
        }
    }

    public StressSummary With { get; }
    public StressSummary Without { get; }
    /// <summary>Shocks in which some breaker tripped (in the run with breakers).</summary>
    public int HaltedShocks { get; }
    public long Halts { get; }
    /// <summary>Orders of the shocks' commands that a halt refused.</summary>
    public long Refusals { get; }
    public Dictionary<string, LossDifference> Differences { get; } = new(StringComparer.Ordinal);
}
