namespace Exchange.Gateway.Configuration;

/// <summary>One node of the cluster in the configuration (docs/cluster.md).</summary>
public sealed record ClusterMemberConfig
{
    /// <summary>The node's id, unique and positive; <c>exchange serve --node ID</c> picks this node.</summary>
    public int Id { get; init; }

    /// <summary><c>host:port</c> of the node's Raft transport (between nodes only).</summary>
    public string Raft { get; init; } = "";

    /// <summary><c>host:port</c> of the node's order entry: where it listens, and where a follower sends clients.</summary>
    public string Client { get; init; } = "";
}
