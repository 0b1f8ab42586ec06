using System.Collections.Concurrent;
using CoreExchange = Exchange.Core.Exchange;

namespace Exchange.Cluster.Tests;

/// <summary>
/// Watches one node's applier: the state hash after every log index it applies, across restarts of the node. A node
/// that applies an index again (after a restart) must arrive at the hash it had there before.
/// </summary>
internal sealed class NodeProbe
{
    private readonly ConcurrentQueue<string> _mismatches = new();
    private volatile CoreExchange? _exchange;

    public ConcurrentDictionary<long, ulong> Hashes { get; } = new();

    /// <summary>The node's exchange as of its last applied entry (read it only while no entries arrive).</summary>
    public CoreExchange? Exchange => _exchange;

    public IReadOnlyCollection<string> Mismatches => _mismatches;

    public void OnApplied(long index, CoreExchange exchange)
    {
        ulong hash = exchange.StateHash();
        var seen = Hashes.GetOrAdd(index, hash);
        if (seen != hash)
            _mismatches.Enqueue($"index {index}: {hash:x16} after a restart, {seen:x16} before");
        _exchange = exchange;
    }
}
