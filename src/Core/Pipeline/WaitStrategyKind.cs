namespace Exchange.Core.Pipeline;

/// <summary>How the threads of an <see cref="ExchangePipeline"/> wait for work (see the wait strategy types).</summary>
public enum WaitStrategyKind
{
    /// <summary><see cref="BusySpinWaitStrategy"/>: lowest latency; needs a dedicated core per pipeline thread.</summary>
    BusySpin = 0,
    /// <summary><see cref="YieldingWaitStrategy"/>: near busy-spin latency, gives the core away when idle.</summary>
    Yielding = 1,
    /// <summary><see cref="BlockingWaitStrategy"/>: no CPU when idle, microseconds (gate: up to a millisecond) to wake.</summary>
    Blocking = 2,
}
