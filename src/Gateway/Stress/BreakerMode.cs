namespace Exchange.Gateway.Stress;

/// <summary><c>--breakers</c>: which circuit breakers the shocks run with (docs/stress.md).</summary>
internal enum BreakerMode : byte
{
    /// <summary>As the state's instruments are configured (the default).</summary>
    Configured = 0,
    /// <summary>Every breaker off.</summary>
    Off = 1,
    /// <summary>Every instrument with the breaker of <c>--breaker</c>, or its own configured one.</summary>
    On = 2,
    /// <summary>The same shocks twice, on and off, and the difference.</summary>
    Compare = 3,
}
