namespace Exchange.Core.Tests.Pipeline;

/// <summary>The wait strategies, as theory data (struct strategies are type arguments, picked by <see cref="Strategies"/>).</summary>
public enum WaitKind
{
    BusySpin,
    Yielding,
    Blocking,
}
