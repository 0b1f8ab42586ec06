namespace Exchange.Testing;

/// <summary>Thrown when the state breaks a RULEBOOK section 9 invariant.</summary>
public sealed class InvariantViolationException(string message) : Exception(message);
