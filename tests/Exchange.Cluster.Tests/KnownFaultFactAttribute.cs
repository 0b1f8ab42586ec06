namespace Exchange.Cluster.Tests;

/// <summary>
/// A test that reproduces a fault not fixed yet (docs/cluster.md, "Not built yet"): skipped unless the environment
/// variable <c>EXCHANGE_KNOWN_FAULTS=1</c> asks for it, so the suite stays green while the reproduction stays at hand.
/// </summary>
public sealed class KnownFaultFactAttribute : FactAttribute
{
    public KnownFaultFactAttribute(string fault)
    {
        if (Environment.GetEnvironmentVariable("EXCHANGE_KNOWN_FAULTS") != "1")
            Skip = fault + " (known fault: set EXCHANGE_KNOWN_FAULTS=1 to run it)";
    }
}
