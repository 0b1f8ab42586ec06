namespace Exchange.Testing;

/// <summary>Thrown when the fast core and the reference model disagree.</summary>
public sealed class ModelMismatchException(string message) : Exception(message);
