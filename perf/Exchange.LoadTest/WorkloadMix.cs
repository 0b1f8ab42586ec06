namespace Exchange.LoadTest;

/// <summary>The command mixes the generator produces.</summary>
internal enum WorkloadMix
{
    /// <summary>
    /// exchange-core's published benchmark mix: 9% GTC, 3% IOC, 6% cancel, 82% move, well-funded accounts and a
    /// fixed mark, so the margin check runs but never binds.
    /// </summary>
    ExchangeCore = 0,
    /// <summary>
    /// The same order flow (94%) with thinly funded accounts, 5% mark-price moves (a random walk with occasional gaps
    /// of 2-5%) that liquidate the weakest, and 1% deposits topping accounts up.
    /// </summary>
    Margin = 1,
}
