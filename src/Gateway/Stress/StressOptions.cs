using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using Exchange.Gateway.Scenarios;

namespace Exchange.Gateway.Stress;

/// <summary>The options of <c>exchange stress</c> (see <see cref="Usage"/>), checked as they are read.</summary>
internal sealed record StressOptions
{
    public const string Usage = """
        usage: exchange stress FILE|DATA_DIR [options]     the loss distribution of the waterfall under random shocks
          FILE                  a scenario file: its lines build the starting state
          DATA_DIR              a server's journal directory (snapshots in DATA_DIR/snapshots): the live state
            --config FILE       the server's configuration (default: the built-in one)
            --as-of SEQ         the state as of this sequence (default: the last journaled command)
          --shocks N            number of shocks (default 1000; with --shock-list, all of the list)
          --seed S              seed of the shock model (default 1); the same seed gives the same numbers
          --dist normal|t       distribution of the mark moves (default normal)
          --df NU               degrees of freedom of the t distribution, > 2 (default 4)
          --vol X               volatility of one step: the standard deviation of its log move (default 0.05)
          --vol-of NAME=X       one instrument's own volatility (repeatable)
          --corr RHO            correlation of every pair through one common factor, 0 <= RHO < 1 (default 0.5)
          --corr-matrix FILE    a correlation matrix instead: one row a line, instruments in declaration order
          --steps K             marks per path (default 1: a single gap)
          --funding RATE        funding at RATE (e.g. 0.0001, longs pay) after each step's marks
          --shock-list FILE     explicit shocks instead of the model: scenario lines (mark, funding, ...),
                                a line '---' between shocks
          --breakers MODE       circuit breakers: configured (default: as the state's instruments have them),
                                off, on, or compare (the same shocks with and without, and the difference)
          --breaker RATE        the breaker band 'on' and 'compare' give every instrument (e.g. 0.10); without
                                it, the instruments' own configured breakers
          --breaker-window W    marks in the breaker's window, with --breaker (default 10)
          --levels P,...        VaR and expected-shortfall levels (default 0.99,0.975)
          --cover F,...         the insurance fund that covers these fractions of shocks (default 0.9,0.99)
          --top N               accounts most often deleveraged or haircut to list (default 10)
          --workers N           worker threads, one exchange each (default: the number of cores)
          --per-shock           add every shock's outcome to the JSON
          --report DIR          also write DIR/index.html with plots (loss histogram, fund adequacy)
          --help                this text
        JSON on stdout. Exit codes (as every exchange command): 0 done; 2 bad arguments or a malformed input (nothing
        on stdout); 3 a file or directory cannot be read, or the report cannot be written; 4 an invariant failed in
        some shock (the exchange is wrong: the JSON lists the failures).
        """;

    private static readonly long MaxFundingPpm = new Core.ExchangeOptions().MaxFundingRatePpm;

    public string Input { get; init; } = "";
    public string? Config { get; init; }
    public long AsOf { get; init; } = long.MaxValue;
    public int? Shocks { get; init; }
    public ulong Seed { get; init; } = 1;
    public ShockDistribution Distribution { get; init; } = ShockDistribution.Normal;
    public double Df { get; init; } = 4;
    public double Vol { get; init; } = 0.05;
    public IReadOnlyDictionary<string, double> VolOf { get; init; } = new Dictionary<string, double>();
    public double Correlation { get; init; } = 0.5;
    public string? CorrelationMatrix { get; init; }
    public int Steps { get; init; } = 1;
    public long? FundingPpm { get; init; }
    public string? ShockList { get; init; }
    public IReadOnlyList<long> LevelsPpm { get; init; } = [990_000, 975_000];
    public IReadOnlyList<long> CoverPpm { get; init; } = [900_000, 990_000];
    public int Top { get; init; } = 10;
    public int Workers { get; init; } = Environment.ProcessorCount;
    public bool PerShock { get; init; }
    public string? Report { get; init; }
    public BreakerMode Breakers { get; init; } = BreakerMode.Configured;
    /// <summary><c>--breaker</c> in ppm; null: each instrument's own breaker.</summary>
    public long? BreakerBandPpm { get; init; }
    public int BreakerWindow { get; init; } = 10;
    public bool Help { get; init; }

    /// <summary>Reads the arguments after <c>stress</c>; on failure <paramref name="error"/> says why.</summary>
    public static bool TryParse(IReadOnlyList<string> args, [NotNullWhen(true)] out StressOptions? options,
        [NotNullWhen(false)] out string? error)
    {
        var o = new StressOptions();
        var volOf = new Dictionary<string, double>(StringComparer.Ordinal);
        options = null;
        error = null;
        string? input = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "--help" or "-h")
            {
                options = o with { Help = true };
                return true;
            }
            if (arg == "--per-shock")
            {
                o = o with { PerShock = true };
                continue;
            }
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (input is not null) return Fail($"unexpected argument '{arg}'", out error);
                input = arg;
                continue;
            }
            if (i + 1 >= args.Count) return Fail($"{arg} needs a value", out error);
            var v = args[++i];
            switch (arg)
            {
                case "--config": o = o with { Config = v }; break;
                case "--as-of" when Whole(v, 0, long.MaxValue, out var seq): o = o with { AsOf = seq }; break;
                case "--shocks" when Whole(v, 1, 100_000_000, out var n): o = o with { Shocks = (int)n }; break;
                case "--seed" when ulong.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var seed): o = o with { Seed = seed }; break;
                case "--dist" when v is "normal" or "t":
                    o = o with { Distribution = v == "t" ? ShockDistribution.StudentT : ShockDistribution.Normal };
                    break;
                case "--df" when Real(v, out var df) && df > 2 && df <= 1e6: o = o with { Df = df }; break;
                case "--vol" when Real(v, out var vol) && vol is >= 0 and <= 5: o = o with { Vol = vol }; break;
                case "--vol-of" when v.IndexOf('=') is var eq and > 0 && Real(v[(eq + 1)..], out var own) && own is >= 0 and <= 5:
                    volOf[v[..eq]] = own;
                    break;
                case "--corr" when Real(v, out var rho) && rho is >= 0 and < 1: o = o with { Correlation = rho }; break;
                case "--corr-matrix": o = o with { CorrelationMatrix = v }; break;
                case "--steps" when Whole(v, 1, 10_000, out var steps): o = o with { Steps = (int)steps }; break;
                case "--funding" when Ppm(v, out var rate) && Math.Abs(rate) <= MaxFundingPpm:
                    o = o with { FundingPpm = rate };
                    break;
                case "--shock-list": o = o with { ShockList = v }; break;
                case "--levels" when Levels(v, out var levels): o = o with { LevelsPpm = levels }; break;
                case "--cover" when Levels(v, out var cover): o = o with { CoverPpm = cover }; break;
                case "--top" when Whole(v, 0, 100_000, out var top): o = o with { Top = (int)top }; break;
                case "--workers" when Whole(v, 1, 1024, out var workers): o = o with { Workers = (int)workers }; break;
                case "--report": o = o with { Report = v }; break;
                case "--breakers" when v is "configured" or "off" or "on" or "compare":
                    o = o with
                    {
                        Breakers = v switch
                        {
                            "off" => BreakerMode.Off, "on" => BreakerMode.On, "compare" => BreakerMode.Compare, _ => BreakerMode.Configured,
                        },
                    };
                    break;
                case "--breaker" when Ppm(v, out var band) && band > 0 && band < LossStatistics.Million:
                    o = o with { BreakerBandPpm = band };
                    break;
                case "--breaker-window" when Whole(v, 1, Core.Instruments.InstrumentSpec.MaxBreakerWindow, out var window):
                    o = o with { BreakerWindow = (int)window };
                    break;
                default:
                    return Fail(IsKnown(arg) ? $"bad value '{v}' for {arg}" : $"unknown option '{arg}'", out error);
            }
        }
        if (input is null) return Fail("a scenario file or a data directory is needed", out error);
        if (o.ShockList is not null && (o.Steps != 1 || o.FundingPpm is not null))
            return Fail("--shock-list gives the shocks: --steps and --funding belong to the model", out error);
        if (o.BreakerBandPpm is not null && o.Breakers is not (BreakerMode.On or BreakerMode.Compare))
            return Fail("--breaker is for --breakers on or compare", out error);
                options = o with { Input = input, VolOf = volOf };
        return true;
    }

    private static bool IsKnown(string option) => Usage.Contains($" {option} ", StringComparison.Ordinal);

    private static bool Fail(string reason, out string error)
    {
        error = reason;
        return false;
    }

    private static bool Whole(string text, long min, long max, out long value) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;

    private static bool Real(string text, out double value) =>
        double.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value)
        && double.IsFinite(value);

    /// <summary>An exact decimal in whole ppm.</summary>
    private static bool Ppm(string text, out long ppm)
    {
        ppm = 0;
        if (!ExactDecimal.TryParse(text, out var d) || !d.TryScaleToInteger(6, out var p) || BigInteger.Abs(p) > long.MaxValue)
            return false;
        ppm = (long)p;
        return true;
    }

    /// <summary>Comma-separated levels strictly between 0 and 1, in whole ppm.</summary>
    private static bool Levels(string text, out List<long> levels)
    {
        levels = [];
        foreach (var part in text.Split(','))
        {
            if (!Ppm(part, out var p) || p <= 0 || p >= LossStatistics.Million) return false;
            levels.Add(p);
        }
        return levels.Count > 0;
    }
}
