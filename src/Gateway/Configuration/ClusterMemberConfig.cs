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

    /// <summary><c>host:port</c> where the node serves its streams' messages to a peer that installed a snapshot and
    /// fetches what it lacks (between nodes only, docs/cluster.md "Streams in snapshots"); empty: the client's host and
    /// its port + 5.</summary>
    public string Streams { get; init; } = "";

    /// <summary>The stream-fetch address (<see cref="Streams"/>, or the client's host and port + 5).</summary>
    internal System.Net.IPEndPoint StreamsEndPoint()
    {
        if (Streams.Length > 0)
            return System.Net.IPEndPoint.TryParse(Streams, out var e) && e.Port != 0
                ? e
                : throw new InvalidDataException($"member {Id}: streams '{Streams}' is not an IP address with a port");
        var client = System.Net.IPEndPoint.Parse(Client);
        return new System.Net.IPEndPoint(client.Address, client.Port + 5);
    }
}
