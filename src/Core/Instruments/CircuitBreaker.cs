namespace Exchange.Core.Instruments;

/// <summary>What a mark did to an instrument's circuit breaker.</summary>
internal enum BreakerTransition : byte
{
    None = 0,
    Halted = 1,
    Resumed = 2,
}

/// <summary>
/// An instrument's circuit breaker (docs/rulebook-notes.md, "Circuit breakers"): a deterministic function of the
/// accepted marks. A mark breaches when it lies more than <see cref="InstrumentSpec.BreakerBandPpm"/> away from any of
/// the last <see cref="InstrumentSpec.BreakerWindow"/> marks, each measured relative to that earlier mark:
/// (m - lo) x 1e6 &gt; lo x band or (hi - m) x 1e6 &gt; hi x band, with lo and hi the window's extremes. A breach halts
/// the instrument and restarts the window at the breaching mark; a halted instrument resumes at the W-th mark after
/// the last breach, or by an admin command. Disabled (band 0, the default) it keeps no state and changes nothing.
/// Its state (window, calm count, halt) is part of the exchange's state: snapshots carry it.
/// </summary>
internal sealed class CircuitBreaker
{
    private readonly long _bandPpm;
    private readonly long[] _window;
    private int _count;
    private int _next;

    public CircuitBreaker(InstrumentSpec spec)
    {
        _bandPpm = spec.BreakerBandPpm;
        _window = new long[_bandPpm > 0 ? spec.BreakerWindow : 0];
    }

    public bool Enabled => _bandPpm > 0;
    /// <summary>New risk-increasing orders are refused (INSTRUMENT_HALTED) while set.</summary>
    public bool Halted { get; private set; }
    /// <summary>Marks since the last breach (the breaching one not counted), up to W.</summary>
    public int Calm { get; private set; }
    /// <summary>The earlier mark the last breach was measured from.</summary>
    public long Reference { get; private set; }
    /// <summary>Marks held in the window, oldest first (snapshots).</summary>
    public int Count => _count;

    public long WindowMark(int k) => _window[(_next - _count + k + 2 * _window.Length) % _window.Length];

    /// <summary>Applies an accepted mark (only when enabled).</summary>
    public BreakerTransition OnMark(long mark)
    {
        if (Breaches(mark, out var reference))
        {
            Reference = reference;
            _count = 0;
            Push(mark);
            Calm = 0;
            if (Halted) return BreakerTransition.None;
            Halted = true;
            return BreakerTransition.Halted;
        }
        Push(mark);
        // Capped at W (only "W or more" matters), so it cannot overflow over a long calm.
        if (Calm < _window.Length) Calm++;
        if (!Halted || Calm < _window.Length) return BreakerTransition.None;
        Halted = false;
        return BreakerTransition.Resumed;
    }

    /// <summary>The admin's resume: the halt ends; the window and calm count go on as they are.</summary>
    public void Resume() => Halted = false;

    /// <summary>Restores the state a snapshot recorded.</summary>
    public void Restore(bool halted, int calm, long reference, ReadOnlySpan<long> window)
    {
        if (window.Length > _window.Length || (!Enabled && (halted || window.Length > 0)))
            throw new InvalidDataException("snapshot circuit breaker does not fit the configuration");
        Halted = halted;
        Calm = calm;
        Reference = reference;
        _count = 0;
        _next = 0;
        foreach (var m in window) Push(m);
    }

    private bool Breaches(long mark, out long reference)
    {
        reference = 0;
        if (_count == 0) return false;
        long lo = long.MaxValue, hi = 0;
        for (var k = 0; k < _count; k++)
        {
            var w = WindowMark(k);
            if (w < lo) lo = w;
            if (w > hi) hi = w;
        }
        if ((Int128)(mark - lo) * FixedPoint.Million > (Int128)lo * _bandPpm) reference = lo;
        else if ((Int128)(hi - mark) * FixedPoint.Million > (Int128)hi * _bandPpm) reference = hi;
        return reference != 0;
    }

    private void Push(long mark)
    {
        _window[_next] = mark;
        _next = (_next + 1) % _window.Length;
        if (_count < _window.Length) _count++;
    }
}
