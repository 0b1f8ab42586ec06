using Exchange.Core.Commands;

namespace Exchange.Gateway.Stress;

/// <summary>How mark moves are drawn.</summary>
internal enum ShockDistribution
{
    Normal,
    StudentT,
}

/// <summary>
/// The seeded shock model: each step moves every marked instrument's mark by a log-return vol x X, X standard normal
/// or Student-t scaled to unit variance (one chi-square draw per step shared by all instruments: a multivariate t),
/// correlated through one common factor (correlation rho between every pair) or a given correlation matrix. A path
/// of several steps compounds; each mark is rounded to the nearest tick and kept within 1..max price. Funding at a
/// fixed rate may follow each step's marks. Shock k draws from its own stream (<see cref="ShockRandom"/>).
/// </summary>
internal sealed class ShockModel
{
    private readonly long[] _marks;
    private readonly long[] _maxPrice;
    private readonly double[] _vol;
    private readonly double[,] _cholesky;
    private readonly ShockDistribution _distribution;
    private readonly double _df;
    private readonly int _steps;
    private readonly long? _fundingPpm;
    private readonly ulong _seed;

    /// <param name="marks">Starting marks in ticks; an instrument without one (0) is not moved.</param>
    /// <param name="maxPrice">Each instrument's largest price in ticks.</param>
    /// <param name="vol">Each instrument's volatility per step (standard deviation of the log-return).</param>
    /// <param name="correlation">The correlation matrix (symmetric, positive definite, ones on the diagonal).</param>
    public ShockModel(long[] marks, long[] maxPrice, double[] vol, double[,] correlation, ShockDistribution distribution,
        double df, int steps, long? fundingPpm, ulong seed)
    {
        _marks = marks;
        _maxPrice = maxPrice;
        _vol = vol;
        _cholesky = Cholesky(correlation);
        _distribution = distribution;
        _df = df;
        _steps = steps;
        _fundingPpm = fundingPpm;
        _seed = seed;
    }

    /// <summary>The one-factor correlation matrix: 1 on the diagonal, <paramref name="rho"/> elsewhere.</summary>
    public static double[,] OneFactor(int n, double rho)
    {
        var m = new double[n, n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++) m[i, j] = i == j ? 1 : rho;
        return m;
    }

    /// <summary>The commands of shock <paramref name="shock"/>: per step a mark for every marked instrument, then funding.</summary>
    public Command[] Path(int shock)
    {
        var rng = new ShockRandom(_seed, shock);
        var n = _marks.Length;
        var level = new double[n];
        for (var i = 0; i < n; i++) level[i] = _marks[i];
        var e = new double[n];
        var commands = new List<Command>(_steps * n * 2);
        for (var step = 0; step < _steps; step++)
        {
            for (var i = 0; i < n; i++) e[i] = rng.Normal();
            var scale = _distribution == ShockDistribution.StudentT ? Math.Sqrt((_df - 2) / rng.ChiSquare(_df)) : 1;
            for (var i = 0; i < n; i++)
            {
                if (_marks[i] <= 0) continue;
                double z = 0;
                for (var j = 0; j <= i; j++) z += _cholesky[i, j] * e[j];
                level[i] *= Math.Exp(_vol[i] * z * scale);
                var ticks = Math.Round(level[i], MidpointRounding.AwayFromZero);
                var price = ticks >= _maxPrice[i] ? _maxPrice[i] : Math.Max(1, (long)ticks);
                commands.Add(Command.Mark(i, price));
            }
            if (_fundingPpm is { } rate)
                for (var i = 0; i < n; i++)
                    if (_marks[i] > 0) commands.Add(Command.FundingAt(i, rate));
        }
        return commands.ToArray();
    }

    /// <summary>Lower-triangular L with L Lᵀ = m.</summary>
    /// <exception cref="ArgumentException">The matrix is not symmetric positive definite.</exception>
    public static double[,] Cholesky(double[,] m)
    {
        var n = m.GetLength(0);
        if (m.GetLength(1) != n) throw new ArgumentException("the correlation matrix is not square");
        var l = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            if (Math.Abs(m[i, i] - 1) > 1e-12) throw new ArgumentException("the correlation matrix needs ones on its diagonal");
            for (var j = 0; j <= i; j++)
            {
                if (Math.Abs(m[i, j] - m[j, i]) > 1e-12) throw new ArgumentException("the correlation matrix is not symmetric");
                var sum = m[i, j];
                for (var k = 0; k < j; k++) sum -= l[i, k] * l[j, k];
                if (i == j)
                {
                    if (sum <= 0) throw new ArgumentException("the correlation matrix is not positive definite");
                    l[i, i] = Math.Sqrt(sum);
                }
                else l[i, j] = sum / l[j, j];
            }
        }
        return l;
    }
}
