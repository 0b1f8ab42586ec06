namespace Exchange.Gateway.Stress;

/// <summary>
/// The random numbers of one shock: SplitMix64 seeded from the run's seed and the shock's index, so every shock draws
/// the same numbers whichever worker runs it and in whatever order (and whatever the runtime's own Random does).
/// </summary>
internal sealed class ShockRandom
{
    private ulong _state;
    private double _spare;
    private bool _hasSpare;

    public ShockRandom(ulong seed, int shock)
    {
        _state = seed;
        _state = Next() ^ ((ulong)(uint)shock * 0xD1B54A32D192ED03UL);
        Next();
    }

    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in the open interval (0, 1).</summary>
    public double Uniform() => ((Next() >> 11) + 0.5) * (1.0 / (1UL << 53));

    /// <summary>Standard normal (Box-Muller, both values used).</summary>
    public double Normal()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }
        var r = Math.Sqrt(-2 * Math.Log(Uniform()));
        var theta = 2 * Math.PI * Uniform();
        _spare = r * Math.Sin(theta);
        _hasSpare = true;
        return r * Math.Cos(theta);
    }

    /// <summary>Gamma(shape, 1) by Marsaglia and Tsang (shape &lt; 1 boosted by U^(1/shape)).</summary>
    public double Gamma(double shape)
    {
        if (shape < 1) return Gamma(shape + 1) * Math.Pow(Uniform(), 1 / shape);
        var d = shape - 1.0 / 3;
        var c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = Normal();
                v = 1 + c * x;
            } while (v <= 0);
            v = v * v * v;
            var u = Uniform();
            if (Math.Log(u) < 0.5 * x * x + d - d * v + d * Math.Log(v)) return d * v;
        }
    }

    /// <summary>Chi-square with <paramref name="df"/> degrees of freedom.</summary>
    public double ChiSquare(double df) => 2 * Gamma(df / 2);
}
