namespace Exchange.Gateway.Streams;

/// <summary>An account query waiting for its user's earlier commands (the first <see cref="Target"/>) to be reported.</summary>
internal readonly record struct DeferredQuery(uint Token, int Account, long Target, long Timestamp);
